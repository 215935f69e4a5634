"""``non_negative_factorization``: the function form of ``NMF``, as in scikit-learn."""

from .nmf import NMF

__all__ = ["non_negative_factorization"]


def non_negative_factorization(
    X,
    W=None,
    H=None,
    n_components="auto",
    *,
    init=None,
    update_H=True,
    solver="auto",
    beta_loss="frobenius",
    tol=1e-4,
    max_iter=200,
    alpha_W=0.0,
    alpha_H="same",
    l1_ratio=0.0,
    random_state=None,
    verbose=0,
    shuffle=False,
    callback=None,
    engine="auto",
    device=None,
    observed="all",
    weights=None,
):
    """Compute W, H ≥ 0 with X ≈ W H; see :class:`nmfkit.NMF` for the parameters.

    Parameters
    ----------
    X : {array-like, sparse matrix} of shape (n_samples, n_features)
    W : array-like of shape (n_samples, n_components), optional
        Starting W for ``init='custom'``.
    H : array-like of shape (n_components, n_features), optional
        Starting H for ``init='custom'``; with ``update_H=False`` the fixed H.
    n_components : int, 'auto' or None, default='auto'
    update_H : bool, default=True
        False solves for W only, with H held fixed.
    observed : {'all', 'stored'}, default='all'
        Which entries of a sparse X are known (see :class:`nmfkit.NMF`).
    weights : {array-like, sparse matrix} of X's shape, optional
        Non-negative weight of each entry (0: unknown).
    **others
        As for :class:`nmfkit.NMF`.

    Returns
    -------
    W : ndarray of shape (n_samples, n_components)
    H : ndarray of shape (n_components, n_features)
    n_iter : int

    Examples
    --------
    >>> import numpy as np
    >>> from nmfkit import non_negative_factorization
    >>> X = np.array([[1, 1], [2, 1], [3, 1.2], [4, 1], [5, 0.8], [6, 1]])
    >>> W, H, n_iter = non_negative_factorization(X, n_components=2, random_state=0)
    >>> W.shape, H.shape
    ((6, 2), (2, 2))
    """
    est = NMF(
        n_components=n_components,
        init=init,
        solver=solver,
        beta_loss=beta_loss,
        tol=tol,
        max_iter=max_iter,
        random_state=random_state,
        alpha_W=alpha_W,
        alpha_H=alpha_H,
        l1_ratio=l1_ratio,
        verbose=verbose,
        shuffle=shuffle,
        callback=callback,
        engine=engine,
        device=device,
        observed=observed,
    )
    caller = "non_negative_factorization"
    _, W, H, _, engine_, result = est._fit_transform(
        X, W, H, update_H=update_H, caller=caller, weights=weights
    )
    return engine_.to_output(W), engine_.to_output(H), result.n_iter
