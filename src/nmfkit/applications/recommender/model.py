r"""``Recommender``: biased non-negative matrix factorization of explicit ratings.

A rating of item i by user u is predicted as

.. math::

    \hat r_{ui} = \mu + b_u + b_i + w_u \cdot h_i, \qquad w_u, h_i \ge 0,

with μ the mean rating, b_u and b_i user and item biases of any sign, and w_u, h_i the
non-negative factors: each user's preference is a sum of parts (latent "tastes") and
each item's appeal to a taste is non-negative, which is what makes a recommendation
explainable (``explain``). Only the observed ratings enter the loss

.. math::

    \tfrac12 \sum_{(u,i)} (r_{ui} - \hat r_{ui})^2
    + \tfrac12 \lambda \big(\sum_u n_u \|w_u\|^2 + \sum_i n_i \|h_i\|^2\big)
    + \tfrac12 \lambda_b \big(\sum_u b_u^2 + \sum_i b_i^2\big),

where n_u, n_i are the numbers of ratings of each user and item (the weighted-λ
regularisation of Zhou et al. 2008, doi:10.1007/978-3-540-68880-8_32). An iteration
sets the user biases, then the item biases, to their exact minimisers, then runs one
HALS sweep over W and one over H on the observed entries (the ``masked_hals_rows``
kernel, also behind ``NMF`` with missing entries). Every update is exact, so the loss
never increases; the fit stops when an iteration lowers it by less than ``tol`` times
its value, as ``NMF``'s stopping rule does (checked at every iteration here). A fit costs
O(n_ratings · n_components) per iteration and never forms the users × items matrix.

What one rating can say is limited in the predictions. The weighted-λ penalty shrinks
every item's factor by the same fraction whatever its number of ratings n_i, so an item
rated once (5.0) fits its one rating almost exactly and, through the users who resemble
its one rater, tops their lists. The bias is already shrunk toward 0 by about
n_i / (n_i + λ_b) (Koren's baseline predictors, doi:10.1145/1644873.1644874); the
interaction gets the same kind of credibility weight, with ``shrinkage`` = s pseudo-ratings,

.. math::

    \hat r_{ui} = \mu + b_u + b_i + \frac{n_i}{n_i + s}\, w_u \cdot h_i ,

in ``predict``, ``recommend`` and ``explain`` alike (the fit itself is unchanged). The
default s = 5 is the bias's own default pseudo-count λ_b, so an item's whole deviation
from the user's mean is trusted alike; ``shrinkage=0`` gives the unshrunk predictions.

A predicted rating is not a good top-n order (it ranks below popularity on held-out
ratings): ``recommend`` ranks by default by the relevance of an NMF of who rated what
times the chance of liking the item (``rank_by='relevance'``, module ``implicit``);
``rank_by='rating'`` keeps the order of the predicted ratings.
"""

import numbers
import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_is_fitted

from ...arrays.engines import sparse_problem
from ...core.init import make_rng
from ...core.io import Saveable, expect_shape
from ...core.validation import (
    BOOLEAN,
    COUNT,
    NON_NEGATIVE,
    NONE,
    RANDOM_STATE,
    Interval,
    ListOf,
    Options,
    validate_params,
)
from .biased import fit_biased
from .explain import explain_terms
from .foldin import fold_in_user
from .implicit import fit_implicit, implicit_factor, like_probability, relevance_order
from .ratings import check_ratings, lookup_ids, ratings_arrays, ratings_matrix
from .similarity import co_ratings, credibility, factor_similarity

__all__ = ["Recommender"]


# Ratings beyond this cannot be squared and summed over millions of ratings in float64
_LARGEST_RATING = 1e100
# n_components=None: this many tastes, or min(users, items) on smaller data
_TASTES = 200


class Recommender(BaseEstimator, Saveable):
    """Rating prediction and top-n recommendation by biased NMF.

    See the module docstring for the model and its fit.

    Parameters
    ----------
    n_components : int or None, default=None
        Number of latent tastes (k); None: 200, or min(users, items) when the data have
        fewer. Most of them end up small for most users: the weighted regularisation
        shrinks what the data do not support. A k above min(users, items) is refused.
    reg : float, default=0.06
        λ: L2 weight on the factors, per rating of the user or item.
    reg_bias : float, default=5.0
        λ_b: L2 weight on each bias.
    shrinkage : float, default=5.0
        s: pseudo-ratings of the interaction term; item i's term w_u·h_i counts
        n_i / (n_i + s) of itself in every prediction, so an item rated once or twice
        cannot top a list on its interaction alone (see the module docstring); item
        similarity is shrunk alike (``similar_items``). 0 turns it off.
    rank_by : {'relevance', 'rating'}, default='relevance'
        Order of ``recommend``'s lists: 'relevance' ranks by ρ_ui · Φ((r̂_ui − μ − b_u)/σ),
        the relevance of an NMF of who rated what times the chance that the user rates
        the item above their typical rating (module ``implicit``); 'rating' by the
        predicted rating alone (the order before issue 22). ``predict`` is the same.
    implicit_components : int, default=20
        Components of the NMF of who rated what (at most min(n_users, n_items)). A
        fixed modest rank: the implicit matrix is coarser than the ratings (its
        PureSVD-style models use tens of factors), and it does not grow with
        ``n_components``, which the weighted penalty keeps small per user.
    max_iter : int, default=100
    tol : float, default=1e-3
        Stop at the first iteration that lowers the loss by less than ``tol`` times its
        value (the loss costs O(n_ratings) here, so it is checked at every iteration,
        where ``NMF`` checks every 10).
    random_state : int, Generator, RandomState or None, default=None
        Seed of the random initial factors.
    clip : bool, default=True
        Clip predictions to the range of the ratings seen in fit.
    duplicates : {'mean', 'last', 'raise'}, default='mean'
        Policy for a (user, item) pair rated more than once: the mean of its ratings,
        the last one listed, or an error.
    verbose : int, default=0

    Attributes
    ----------
    user_ids_, item_ids_ : ndarray
        The distinct ids seen in fit, sorted; row u of ``user_factors_`` belongs to
        ``user_ids_[u]``.
    global_mean_ : float
    user_bias_ : ndarray of shape (n_users,)
    item_bias_ : ndarray of shape (n_items,)
    user_factors_ : ndarray of shape (n_users, n_components)
        W, non-negative.
    components_ : ndarray of shape (n_components, n_items)
        H, non-negative (``item_factors_`` is its transpose).
    rating_range_ : list of float
        [min, max] of the ratings seen in fit.
    item_support_ : ndarray of shape (n_items,)
        Number of ratings of each item in fit (n_i).
    implicit_user_factors_ : ndarray of shape (n_users, k_B)
    implicit_components_ : ndarray of shape (k_B, n_items)
        W_B and H_B, the NMF of who rated what (``rank_by='relevance'``).
    rating_noise_ : float
        σ, the root mean square error of the predictions on the ratings seen in fit.
    n_iter_ : int
    loss_curve_ : list of float
    stop_reason_ : {'converged', 'max_iter'}

    Notes
    -----
    Unknown ids: ``predict`` falls back to the biases it has (μ + b_i for a new user,
    μ + b_u for a new item, μ for both), the usual cold-start rule; ``recommend``,
    ``similar_items`` and ``explain`` raise ``KeyError`` naming the id.

    Examples
    --------
    >>> from nmfkit import Recommender
    >>> users = [1, 1, 2, 2, 3, 3, 3]
    >>> items = ["a", "b", "a", "c", "a", "b", "c"]
    >>> ratings = [5, 3, 4, 2, 5, 4, 1]
    >>> rec = Recommender(n_components=2, random_state=0).fit((users, items, ratings))
    >>> rec.predict([1], ["c"]).shape
    (1,)
    """

    _saved_arrays = {
        "components_": "float",
        "user_ids_": "id",
        "item_ids_": "id",
        "user_bias_": "float",
        "item_bias_": "float",
        "user_factors_": "float",
        "_seen_indptr": "int",
        "_seen_indices": "int",
        "_seen_ratings": "float",
        "implicit_user_factors_": "float",
        "implicit_components_": "float",
    }
    _saved_attributes = {
        "n_iter_": [COUNT],
        "loss_curve_": [ListOf(NON_NEGATIVE)],
        "stop_reason_": [Options(["converged", "max_iter"])],
        "global_mean_": [Interval(numbers.Real, None, None)],
        "rating_range_": [ListOf(Interval(numbers.Real, None, None), length=2)],
        "rating_noise_": [NON_NEGATIVE],
    }
    _parameter_constraints = {
        "n_components": [Interval(numbers.Integral, 1, None, "left"), NONE],
        "reg": [Interval(numbers.Real, 0, None, "left")],
        "reg_bias": [Interval(numbers.Real, 0, None, "left")],
        "shrinkage": [Interval(numbers.Real, 0, None, "left")],
        "rank_by": [Options(["relevance", "rating"])],
        "implicit_components": [Interval(numbers.Integral, 1, None, "left")],
        "max_iter": [Interval(numbers.Integral, 1, None, "left")],
        "tol": [Interval(numbers.Real, 0, None, "left")],
        "random_state": [RANDOM_STATE],
        "clip": [BOOLEAN],
        "duplicates": [Options(["mean", "last", "raise"])],
        "verbose": [Interval(numbers.Integral, 0, None, "left")],
    }

    def __init__(
        self,
        n_components=None,
        *,
        reg=0.06,
        reg_bias=5.0,
        shrinkage=5.0,
        rank_by="relevance",
        implicit_components=20,
        max_iter=100,
        tol=1e-3,
        random_state=None,
        clip=True,
        duplicates="mean",
        verbose=0,
    ):
        self.n_components = n_components
        self.reg = reg
        self.reg_bias = reg_bias
        self.shrinkage = shrinkage
        self.rank_by = rank_by
        self.implicit_components = implicit_components
        self.max_iter = max_iter
        self.tol = tol
        self.random_state = random_state
        self.clip = clip
        self.duplicates = duplicates
        self.verbose = verbose

    # -- fit --------------------------------------------------------------------------
    def fit(self, ratings, y=None):
        """Learn biases and factors from explicit ratings.

        Parameters
        ----------
        ratings : DataFrame, tuple of three arrays, ndarray of shape (n, >=3) or sparse matrix
            A DataFrame with columns ``user``, ``item``, ``rating`` (else its first three
            columns); a tuple ``(users, items, ratings)``; an array whose first three
            columns are those; or a sparse users × items matrix whose stored entries are
            the ratings (ids are then row and column numbers). Ids may be any integers
            or strings.
        y : Ignored

        Returns
        -------
        self : Recommender
        """
        caller = "Recommender.fit"
        validate_params("Recommender", self.get_params(deep=False), self._parameter_constraints)
        users, items, values = ratings_arrays(ratings, caller)
        values = check_ratings(values, caller)
        if len(values) == 0:
            raise ValueError(f"{caller}: no ratings given; pass at least one rating.")
        high = float(np.abs(values).max())
        if high > _LARGEST_RATING:
            raise ValueError(
                f"{caller}: ratings reach {high:.3g}; their squared errors would overflow "
                f"float64. Rescale them (divide by {10.0 ** np.floor(np.log10(high)):.0e}, "
                "say): predictions scale back by the same factor."
            )
        user_ids, u = np.unique(users, return_inverse=True)
        item_ids, i = np.unique(items, return_inverse=True)
        limit = min(len(user_ids), len(item_ids))
        if self.n_components is not None and self.n_components > limit:
            raise ValueError(
                f"{caller}: n_components={self.n_components} is more than the data allow: "
                f"{len(user_ids)} users and {len(item_ids)} items support at most {limit} "
                f"factors; set n_components <= {limit}."
            )
        shape = (len(user_ids), len(item_ids))
        R = ratings_matrix(u.ravel(), i.ravel(), values, shape, self.duplicates, caller)
        self._fit_matrix(R, caller)
        # set last: an interrupted fit leaves the estimator as it was
        self.user_ids_, self.item_ids_ = user_ids, item_ids
        return self

    def _fit_matrix(self, R, caller):
        n_users, n_items = R.shape
        k = min(_TASTES, n_users, n_items) if self.n_components is None else self.n_components
        rows, cols, r = np.repeat(np.arange(n_users), np.diff(R.indptr)), R.indices, R.data
        carrier = sp.csr_matrix((np.arange(R.nnz), cols, R.indptr), shape=R.shape).T.tocsr()
        n_u, n_i = np.diff(R.indptr).astype(np.float64), np.diff(carrier.indptr).astype(np.float64)
        mu = float(r.mean())
        rng = make_rng(self.random_state)
        params = {
            name: getattr(self, name) for name in ("reg", "reg_bias", "max_iter", "tol", "verbose")
        }
        fit = fit_biased(R, carrier, (rows, cols, n_u, n_i), mu, k, rng, params, caller)
        bu, bi, W, Ht, res = fit["bu"], fit["bi"], fit["W"], fit["Ht"], fit["res"]
        it, curve, reason = fit["n_iter"], fit["curve"], fit["reason"]
        if reason == "max_iter" and self.tol > 0:
            warnings.warn(
                f"{caller}: maximum number of iterations max_iter={self.max_iter} reached "
                f"before convergence (tol={self.tol:g}); increase max_iter or tol.",
                ConvergenceWarning,
            )
        self.global_mean_ = mu
        self.user_bias_, self.item_bias_ = bu, bi
        self.user_factors_, self.components_ = W, np.ascontiguousarray(Ht.T)
        self.rating_range_ = [float(r.min()), float(r.max())]
        self.n_iter_, self.loss_curve_, self.stop_reason_ = it, curve, reason
        self._seen_indptr, self._seen_indices, self._seen_ratings = R.indptr, R.indices, R.data
        c = credibility(n_i, self.shrinkage)
        deviation = bi[cols] + c[cols] * (r - mu - bu[rows] - bi[cols] - res)
        self.rating_noise_ = float(np.sqrt(np.mean((r - mu - bu[rows] - deviation) ** 2)))
        k_b = min(self.implicit_components, n_users, n_items)
        seed = int(rng.integers(2**31 - 1))
        implicit = fit_implicit(R.indptr, R.indices, R.shape, k_b, seed)
        self.implicit_user_factors_, self.implicit_components_ = implicit

    def _loaded(self):
        """Check that the saved arrays fit together (see ``Saveable``)."""
        k = self.components_.shape[0]
        if self.n_components is not None and self.n_components != k:
            raise ValueError(f"components_ has {k} rows, not n_components={self.n_components}")
        n_users, n_items = len(self.user_ids_), len(self.item_ids_)
        for name in ("user_ids_", "item_ids_"):
            ids = getattr(self, name)
            expect_shape(name, ids, (len(ids),))
            if len(ids) > 1 and not (ids[1:] > ids[:-1]).all():
                raise ValueError(f"{name} is not sorted without repeats")
        expect_shape("components_", self.components_, (k, n_items))
        expect_shape("user_factors_", self.user_factors_, (n_users, k))
        expect_shape("user_bias_", self.user_bias_, (n_users,))
        expect_shape("item_bias_", self.item_bias_, (n_items,))
        if getattr(self, "rating_noise_", None) is None:
            # a file written before issue 22 has no shrinkage parameter (it would load with
            # today's default): it keeps the unshrunk answers it was saved with
            self.shrinkage = 0.0
        if getattr(self, "implicit_components_", None) is not None:  # absent before issue 22
            k_b = len(self.implicit_components_)
            expect_shape("implicit_components_", self.implicit_components_, (k_b, n_items))
            expect_shape("implicit_user_factors_", self.implicit_user_factors_, (n_users, k_b))
        seen = sp.csr_matrix(
            (self._seen_ratings, self._seen_indices, self._seen_indptr),
            shape=(n_users, n_items),
            copy=False,
        )
        problem = sparse_problem(seen)
        if problem is not None:
            raise ValueError(f"the ratings seen in training are malformed: {problem}")

    @property
    def item_support_(self):
        """Number of ratings of each item in fit, of shape (n_items,)."""
        check_is_fitted(self)
        return np.bincount(self._seen_indices, minlength=len(self.item_ids_))

    def _credibility(self):
        """n_i / (n_i + shrinkage): the weight of each item's interaction term."""
        return credibility(self.item_support_, self.shrinkage)

    @property
    def item_factors_(self):
        """Hᵀ, of shape (n_items, n_components)."""
        return self.components_.T

    # -- predictions --------------------------------------------------------------------
    def predict(self, users, items):
        """Predicted ratings for (user, item) pairs.

        Parameters
        ----------
        users, items : array-like of ids, of the same length
            Ids not seen in fit fall back to the biases (see Notes).

        Returns
        -------
        ndarray of float
        """
        check_is_fitted(self)
        u, _ = lookup_ids(users, self.user_ids_, "user", strict=False)
        i, _ = lookup_ids(items, self.item_ids_, "item", strict=False)
        u, i = np.atleast_1d(u), np.atleast_1d(i)
        if u.shape != i.shape:
            raise ValueError(
                f"Recommender.predict: {u.size} users and {i.size} items; pass one item per user."
            )
        ku, ki = u >= 0, i >= 0
        pred = np.full(u.shape, self.global_mean_)
        pred[ku] += self.user_bias_[u[ku]]
        pred[ki] += self.item_bias_[i[ki]]
        both = ku & ki
        pred[both] += self._credibility()[i[both]] * np.einsum(
            "ij,ji->i", self.user_factors_[u[both]], self.components_[:, i[both]]
        )
        return self._clip(pred)

    def _clip(self, pred):
        return np.clip(pred, *self.rating_range_) if self.clip else pred

    def _top_items(self, bias, factor, seen, n, min_ratings=1, implicit=None):
        """The n best items for a user of this bias and factor, ``seen`` left out; by
        ``rank_by`` (``implicit``: the user's row of W_B, None for the rating order)."""
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
            raise ValueError(f"Recommender: n must be a positive int, got {n!r}.")
        if isinstance(min_ratings, bool) or not isinstance(min_ratings, numbers.Integral):
            raise ValueError(f"Recommender: min_ratings must be an int, got {min_ratings!r}.")
        # unclipped scores break the ties that clipping makes at the top of the range
        raw = self.item_bias_ + self._credibility() * (factor @ self.components_)
        scores = self._clip(self.global_mean_ + bias + raw)
        raw[seen] = -np.inf
        raw[self.item_support_ < min_ratings] = -np.inf
        if self.rank_by == "relevance" and implicit is not None:
            relevance = implicit @ self.implicit_components_
            score = relevance * like_probability(raw, self.rating_noise_)
            score[~np.isfinite(raw)] = -np.inf
            top = relevance_order(score, raw)[: int(n)]
        else:
            top = np.argsort(-raw, kind="stable")[: int(n)]
        top = top[np.isfinite(raw[top])]
        return [(self.item_ids_[j].item(), float(scores[j])) for j in top]

    def recommend(self, user, n=10, exclude_seen=True, min_ratings=1):
        """The n best items for a user, in the ``rank_by`` order.

        By default (``rank_by='relevance'``) items are ranked by the chance that the
        user rates them and likes them (see ``implicit``), not by the predicted rating
        alone: a list sorted by predicted rating ranks below popularity on held-out
        ratings. The rating shown beside each item is ``predict``'s.

        Parameters
        ----------
        user : id
        n : int, default=10
        exclude_seen : bool, default=True
            Leave out the items the user rated in fit.
        min_ratings : int, default=1
            Leave out the items rated fewer times than this in fit (a hard floor on
            support, beside the ``shrinkage`` of every prediction).

        Returns
        -------
        list of (item id, predicted rating), best first (by ``rank_by``)
        """
        check_is_fitted(self)
        u, _ = lookup_ids(user, self.user_ids_, "user", strict=True)
        seen = self._seen_indices[self._seen_indptr[u] : self._seen_indptr[u + 1]]
        seen = seen if exclude_seen else seen[:0]
        implicit = getattr(self, "implicit_user_factors_", None)  # None: saved before issue 22
        implicit = None if implicit is None else implicit[u]
        return self._top_items(
            self.user_bias_[u], self.user_factors_[u], seen, n, min_ratings, implicit
        )

    def fold_in(self, items, ratings, max_iter=50):
        """Bias and factors of a new user from their ratings, the items held fixed.

        The user's part of the loss is minimised exactly, alternating the bias and the
        non-negative factor (an exact NNLS over the rated items), with the fit's
        penalties; nothing is refitted.

        Parameters
        ----------
        items : array-like of item ids
            Items the user rated; ids not seen in fit are ignored.
        ratings : array-like of float
        max_iter : int, default=50

        Returns
        -------
        bias : float
        factor : ndarray of shape (n_components,)
        """
        check_is_fitted(self)
        return fold_in_user(self, items, ratings, max_iter)

    def recommend_for(self, items, ratings, n=10, exclude_seen=True, min_ratings=1):
        """Recommendations for a user not seen in fit, from their ratings (``fold_in``).

        Parameters
        ----------
        items, ratings : array-like
            The new user's rated items and ratings.
        n : int, default=10
        exclude_seen : bool, default=True
            Leave out the items given.
        min_ratings : int, default=1
            Leave out the items rated fewer times than this in fit.

        Returns
        -------
        list of (item id, predicted rating), best first
        """
        bias, factor = self.fold_in(items, ratings)
        i, _ = lookup_ids(np.asarray(items), self.item_ids_, "item", strict=False)
        rated = np.unique(np.atleast_1d(i))
        rated = rated[rated >= 0]
        seen = rated if exclude_seen else rated[:0]
        H_b = getattr(self, "implicit_components_", None)
        implicit = None if H_b is None else implicit_factor(H_b, rated)
        return self._top_items(bias, factor, seen, n, min_ratings, implicit)

    def similar_items(self, item, n=10):
        """Items closest to ``item``: factor cosine, shrunk by the evidence behind it.

        The similarity of items i and j is cos(h_i, h_j) · c(n_i) · c(n_j) · c(n_ij),
        c(n) = n / (n + s), s the ``shrinkage`` pseudo-ratings, n_i the ratings of item i
        in fit and n_ij the users who rated both (see ``similarity``): an item rated a
        few times has a factor made of little evidence. Items no user rated together
        with ``item`` are left out.

        Parameters
        ----------
        item : id
        n : int, default=10

        Returns
        -------
        list of (item id, similarity), most similar first (the item itself left out)
        """
        check_is_fitted(self)
        i, _ = lookup_ids(item, self.item_ids_, "item", strict=True)
        co = co_ratings(self._seen_indptr, self._seen_indices, i, len(self.item_ids_))
        sims = factor_similarity(self.item_factors_, i, self.item_support_, co, self.shrinkage)
        sims[i] = -np.inf
        sims[co == 0] = -np.inf
        top = np.argsort(-sims, kind="stable")[: int(n)]
        return [
            (self.item_ids_[j].item(), float(sims[j]))
            for j in top
            if np.isfinite(sims[j]) and sims[j] > 0
        ]

    def explain(self, user, item, n_factors=3, n_items=3):
        """Why ``user`` gets ``item``'s predicted rating: the terms of the prediction.

        Because the factors are non-negative, the prediction's interaction part is a
        sum of non-negative contributions c_i·w_uf·h_if, one per latent taste f (c_i =
        n_i / (n_i + shrinkage)); the largest ones are the reason. For each of them,
        the items the user rated that load most on that taste are listed as the evidence.

        Parameters
        ----------
        user, item : ids
        n_factors : int, default=3
        n_items : int, default=3

        Returns
        -------
        dict
            ``prediction``, ``global_mean``, ``user_bias``, ``item_bias``, ``interaction``
            and ``factors``: a list of dicts (``factor``, ``contribution``, ``share`` of
            the interaction, ``because``: the user's rated items with the largest weight
            on that factor, as (item id, rating)).
        """
        check_is_fitted(self)
        u, _ = lookup_ids(user, self.user_ids_, "user", strict=True)
        i, _ = lookup_ids(item, self.item_ids_, "item", strict=True)
        return explain_terms(self, u, i, n_factors, n_items)
