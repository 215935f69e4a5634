"""The examples in the docstrings run as doctests."""

import doctest
import importlib

import pytest

MODULES = [
    "nmfkit",
    "nmfkit.estimators.nmf",
    "nmfkit.estimators.minibatch",
    "nmfkit.estimators.api",
    "nmfkit.applications.datasets",
    "nmfkit.applications.recommender.model",
    "nmfkit.applications.topics.model",
    "nmfkit.applications.unmixing",
    "nmfkit.estimators.separable",
    "nmfkit.estimators.semi",
    "nmfkit.estimators.symmetric",
    "nmfkit.estimators.convolutive",
    "nmfkit.core.constraints.simplex",
    "nmfkit.core.constraints.frozen",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0
