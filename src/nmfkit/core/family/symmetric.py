"""Placeholder: filled in by the symmetric model."""

SOLVERS = ()
