"""Every `Example:` in the theory modules runs as a doctest."""

import doctest
import importlib
import pkgutil

import pytest

import theory

MODULES = sorted(m.name for m in pkgutil.iter_modules(theory.__path__) if not m.name.startswith("_"))


@pytest.mark.parametrize("name", MODULES)
def test_examples_run(name):
    module = importlib.import_module(f"theory.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} doctest failures in theory.{name}"
