"""Declarative parameter constraints with one message format.

A constraint is an object with ``is_satisfied_by(value)`` and a ``__str__`` that reads
as the end of "must be ...". ``validate_params`` checks a dict of values against a dict
of constraint lists and raises ``InvalidParameterError`` (a ``ValueError`` and
``TypeError``) naming the caller, the parameter, the accepted values and the value got.
"""

import math
import numbers

import numpy as np

__all__ = ["Interval", "Options", "ListOf", "validate_params", "InvalidParameterError"]


class InvalidParameterError(ValueError, TypeError):
    """A parameter has a value outside its declared constraints."""


class Interval:
    """Real or integral numbers in an interval.

    Parameters
    ----------
    kind : {numbers.Integral, numbers.Real}
        Integral accepts integers only; Real accepts any real number (bools excluded).
    left, right : float or None
        Bounds; None means unbounded.
    closed : {"left", "right", "both", "neither"}
        Which bounds belong to the interval.
    """

    def __init__(self, kind, left, right, closed="both"):
        self.kind, self.left, self.right, self.closed = kind, left, right, closed

    def is_satisfied_by(self, value):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, self.kind):
            return False
        if not isinstance(value, numbers.Integral) and not math.isfinite(value):
            return False  # NaN and ±inf: every bound is finite or open
        left_ok = self.left is None or (
            value >= self.left if self.closed in ("left", "both") else value > self.left
        )
        right_ok = self.right is None or (
            value <= self.right if self.closed in ("right", "both") else value < self.right
        )
        return left_ok and right_ok

    def __str__(self):
        kind = "an int" if self.kind is numbers.Integral else "a float"
        lb = "[" if self.closed in ("left", "both") and self.left is not None else "("
        rb = "]" if self.closed in ("right", "both") and self.right is not None else ")"
        lo = "-inf" if self.left is None else self.left
        hi = "inf" if self.right is None else self.right
        if self.kind is numbers.Real and self.left is not None:
            lo = float(lo)
        if self.kind is numbers.Real and self.right is not None:
            hi = float(hi)
        return f"{kind} in the range {lb}{lo}, {hi}{rb}"


class Options:
    """One of a fixed set of values (strings, or any hashable constants)."""

    def __init__(self, options):
        self.options = tuple(options)

    def is_satisfied_by(self, value):
        return isinstance(value, str) and value in self.options

    def __str__(self):
        return "a str among {" + ", ".join(repr(o) for o in self.options) + "}"


class Instance:
    """An instance of the given types (described in messages by ``description``)."""

    def __init__(self, types, description):
        self.types, self.description = types, description

    def is_satisfied_by(self, value):
        return isinstance(value, self.types)

    def __str__(self):
        return self.description


class ListOf:
    """A list (as JSON gives it) whose items all satisfy ``constraint``."""

    def __init__(self, constraint, length=None):
        self.constraint, self.length = constraint, length

    def is_satisfied_by(self, value):
        return (
            isinstance(value, list)
            and (self.length is None or len(value) == self.length)
            and all(self.constraint.is_satisfied_by(v) for v in value)
        )

    def __str__(self):
        size = f"{self.length} " if self.length is not None else ""
        return f"a list of {size}items each {self.constraint}"


class _Boolean:
    def is_satisfied_by(self, value):
        return isinstance(value, (bool, np.bool_))

    def __str__(self):
        return "a bool"


class _NoneConstraint:
    def is_satisfied_by(self, value):
        return value is None

    def __str__(self):
        return "None"


class _Callable:
    def is_satisfied_by(self, value):
        return callable(value)

    def __str__(self):
        return "a callable"


class _RandomState:
    def is_satisfied_by(self, value):
        return (
            value is None
            or (isinstance(value, numbers.Integral) and not isinstance(value, bool) and 0 <= value)
            or isinstance(value, (np.random.RandomState, np.random.Generator))
        )

    def __str__(self):
        return "an int >= 0, a numpy Generator or RandomState instance, or None"


class _Device:
    """A torch device given by name ('cpu', 'cuda', 'cuda:1') or as a torch.device."""

    def is_satisfied_by(self, value):
        return isinstance(value, str) or type(value).__name__ == "device"

    def __str__(self):
        return "a device name such as 'cpu' or 'cuda'"


NONE = _NoneConstraint()
COUNT = Interval(numbers.Integral, 0, None, "left")
POSITIVE_INT = Interval(numbers.Integral, 1, None, "left")
NON_NEGATIVE = Interval(numbers.Real, 0, None, "left")
DEVICE = _Device()
CALLABLE = _Callable()
RANDOM_STATE = _RandomState()
BOOLEAN = _Boolean()


def _describe(constraints):
    parts = [str(c) for c in constraints]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " or " + parts[-1]


def validate_params(caller, params, constraints):
    """Raise ``InvalidParameterError`` for the first parameter outside its constraints.

    Parameters
    ----------
    caller : str
        Name shown in the message, e.g. ``"NMF"``.
    params : dict
        Parameter values by name.
    constraints : dict
        Lists of constraints by parameter name; a parameter is valid when any matches.
    """
    for name, value in params.items():
        allowed = constraints.get(name)
        if allowed is None:
            continue
        if not any(c.is_satisfied_by(value) for c in allowed):
            raise InvalidParameterError(
                f"The {name!r} parameter of {caller} must be {_describe(allowed)}. "
                f"Got {value!r} instead."
            )
