"""The ``nmfkit`` command line: one module per sub-command (its arguments and its
handler); ``main`` assembles them."""

from .main import main

__all__ = ["main"]
