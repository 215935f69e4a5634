"""The record each solver declares: what it minimises, where it runs, and its steps."""

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Callable, Mapping, Optional

__all__ = ["Solver"]


@dataclass(frozen=True)
class Solver:
    """A solver's capabilities and steps: the one source of truth about it.

    The Plan checks a fit against it before the first iteration, the Loop runs its
    step for the data's kind, and the tests, the estimators' parameter checks and the
    command line's choices all read it.

    Parameters
    ----------
    name : str
        Its key in ``SOLVERS`` (the ``solver=`` value).
    steps : mapping of str to callable
        ``step(data, W, H, state, plan, engine) -> (W, H)`` for each kind of fit data
        it fits: ``'plain'`` (every entry known) and, when it can, ``'masked'``
        (unknown entries or weights; ``nmfkit.core.masked.Observed``).
    betas : tuple of float or None, default=None
        The β of the β-divergences it minimises; None: every β.
    chunked : bool, default=True
        Whether it runs on engines that split X into chunks (Dask). False for solvers
        that need all of X in one place.
    penalties : tuple of str, default=('l1', 'l2')
        The penalties it takes.
    pooled : bool, default=False
        Its work is row-wise: the NumPy engine holds BLAS to one thread and runs it on
        its pool of threads (``Engine.threads``).
    aliases : tuple of str, default=()
        Other names that select it.
    auto_on_dense : bool, default=True
        Whether ``solver='auto'`` may pick it for dense X. False for a solver whose
        cost follows X's stored entries, which a solver of BLAS products beats on
        dense X (CCD: ``benchmarks/kl_dense.py``).
    """

    name: str
    steps: Mapping[str, Callable]
    betas: Optional[tuple] = None
    chunked: bool = True
    penalties: tuple = ("l1", "l2")
    pooled: bool = False
    aliases: tuple = field(default=())
    auto_on_dense: bool = True

    def __post_init__(self):
        object.__setattr__(self, "steps", MappingProxyType(dict(self.steps)))

    def minimises(self, beta):
        """Whether it minimises the β-divergence of this β."""
        return self.betas is None or float(beta) in self.betas

    def fits(self, kind):
        """Whether it has a step for fit data of this kind ('plain', 'masked')."""
        return kind in self.steps

    @property
    def masked(self):
        """Whether it fits data with unknown entries or weights."""
        return self.fits("masked")
