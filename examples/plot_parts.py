"""
Parts of images: the Swimmer
============================

NMF's components add up and never cancel, so on images they are *parts*. The Swimmer
images (Donoho & Stodden 2003) are a torso and four limbs, each limb in one of four
positions: 256 images of 32 × 32, made of 17 parts. NMF with 17 components finds them from
the images alone (best of a few random starts, as ``nmfkit demo`` does), and
``match_parts`` checks them against the truth. :doc:`/faces` does the same on faces,
against PCA.
"""

from nmfkit import NMF
from nmfkit.datasets import make_swimmer, match_parts
from nmfkit.plot import components_as_images

X, positions = make_swimmer()  # X: (256, 1024), one image per row
fits = [
    NMF(17, init="random", max_iter=1000, tol=1e-8, random_state=seed).fit(X) for seed in range(2)
]
model = min(fits, key=lambda m: m.reconstruction_err_)
print(f"relative error {model.reconstruction_err_ / (X**2).sum() ** 0.5:.2e}")
similarity = match_parts(model.components_)  # best cosine per limb (row) and position
print(f"limb positions recovered (cosine >= 0.9): {(similarity >= 0.9).sum()} of 16")

fig, axes = components_as_images(model, (32, 32), n_cols=6, title="NMF components, k = 17")
