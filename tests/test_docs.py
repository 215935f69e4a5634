"""The examples in the docstrings run as doctests."""

import doctest
import importlib

import pytest

MODULES = [
    "nmfkit",
    "nmfkit._estimator",
    "nmfkit._minibatch",
    "nmfkit._api",
    "nmfkit.datasets",
    "nmfkit._recommender",
    "nmfkit._topics",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0
