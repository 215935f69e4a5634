"""Placeholder: filled in by the convolutive model."""

SOLVERS = ()
