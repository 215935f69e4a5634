"""Frozen components: some columns of W or rows of H kept as given."""

from dataclasses import dataclass

from ._base import Constraint

__all__ = ["Frozen"]


@dataclass(frozen=True)
class Frozen(Constraint):
    """Keep some components of a factor fixed at their starting values.

    A supervised dictionary (known sources in audio, known signatures or programs)
    stays as given while the other components are learned beside it: pass the values
    with ``init='custom'`` (``fit(X, W=..., H=...)``) and name the components to keep.
    The kept entries are left unchanged bit for bit. Freezing every row of H is
    ``transform``.

    Parameters
    ----------
    factor : {'W', 'H'}, default='H'
    components : sequence of int
        The indices of the components (columns of W, rows of H) to keep.

    Examples
    --------
    >>> import numpy as np
    >>> from nmfkit import NMF, Frozen
    >>> rng = np.random.default_rng(0)
    >>> H = rng.random((3, 8))
    >>> X = rng.random((30, 3)) @ H
    >>> W0 = np.full((30, 3), 0.5)
    >>> model = NMF(3, init='custom', constraints=[Frozen('H', [0, 1])])
    >>> W = model.fit_transform(X, W=W0, H=H.copy())
    >>> bool(np.array_equal(model.components_[:2], H[:2]))
    True
    """

    factor: str = "H"
    components: tuple = ()

    name = "frozen"
    role = "frozen"

    def __post_init__(self):
        super().__post_init__()
        try:
            comps = tuple(int(c) for c in self.components)
        except (TypeError, ValueError):
            raise ValueError(
                f"Frozen: components must be a sequence of component indices, got "
                f"{self.components!r}; write Frozen('H', [0, 1])."
            ) from None
        if len(set(comps)) != len(comps) or not comps:
            raise ValueError(
                f"Frozen: components must name distinct components, at least one, got "
                f"{self.components!r}."
            )
        object.__setattr__(self, "components", comps)

    def check(self, n_rows, k, caller):
        bad = [c for c in self.components if not -k <= c < k]
        if bad:
            raise ValueError(
                f"{caller}: {self.describe()} names components {bad} but the fit has "
                f"n_components={k}; use indices in 0..{k - 1}."
            )

    def indices(self, k):
        """The frozen components as non-negative indices, sorted."""
        return sorted(c % k for c in self.components)

    def describe(self):
        return f"Frozen({self.factor!r}, {list(self.components)})"
