"""The examples in the autolabel docstrings run and give what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["features", "images", "iteration", "model", "policy", "state", "texts", "threshold"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(f"truthset.autolabel.{name}")
    result = doctest.testmod(module)
    assert result.failed == 0
