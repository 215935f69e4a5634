"""
Recommendations from ratings
============================

``Recommender`` learns a global mean, a bias per user and per item, and non-negative
tastes of users and items from explicit ratings; an unrated item is unknown, not a zero.
The ratings here are simulated with known structure: 300 users and 120 items in 4 genres,
each user liking one or two genres; each user rates 25 items, and a fifth of the ratings
are held out. The figure compares the held-out ratings with the predictions, and the
recommendations of one user come from the genres they like. :doc:`/recommender` has the
same on MovieLens.
"""

import matplotlib.pyplot as plt
import numpy as np

from nmfkit import Recommender, rating_metrics

rng = np.random.default_rng(0)
n_users, n_items, n_genres = 300, 120, 4
genre = np.arange(n_items) % n_genres  # the genre of each item
likes = np.zeros((n_users, n_genres))
for u in range(n_users):
    likes[u, rng.choice(n_genres, rng.integers(1, 3), replace=False)] = 1.0
quality = rng.normal(0, 0.4, n_items)  # some items are better than others
true = 2.2 + 2.0 * likes[:, genre] + quality  # users x items, about 1 to 5
users = np.repeat(np.arange(n_users), 25)
items = np.concatenate([rng.choice(n_items, 25, replace=False) for _ in range(n_users)])
ratings = np.clip(np.round(true[users, items] + rng.normal(0, 0.5, users.size)), 1, 5)

test = rng.random(users.size) < 0.2
rec = Recommender(n_components=8, random_state=0)
rec.fit((users[~test], items[~test], ratings[~test]))
pred = rec.predict(users[test], items[test])
scores = rating_metrics(users[test], ratings[test], pred)
print({name: round(float(value), 3) for name, value in scores.items()})

user = 0
print("user 0 likes genres", np.flatnonzero(likes[user]))
for item, score in rec.recommend(user, n=5):
    print(f"  item {item} (genre {genre[item]}): predicted {score:.2f}")

fig, ax = plt.subplots(figsize=(5, 4))
for r in range(1, 6):
    ax.boxplot(pred[ratings[test] == r], positions=[r], widths=0.5)
ax.plot([1, 5], [1, 5], color="grey", linestyle="--", linewidth=1)
ax.set_xlabel("held-out rating")
ax.set_ylabel("predicted rating")
ax.set_title(f"Held-out ratings: RMSE {np.sqrt(np.mean((pred - ratings[test]) ** 2)):.2f}")
fig.tight_layout()
