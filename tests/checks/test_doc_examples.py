"""The docstring examples of the digit tests and the null kernel run and say what they show."""

from __future__ import annotations

import doctest

import pytest

import audit.checks.digits
import audit.checks.null


@pytest.mark.parametrize("module", [audit.checks.digits, audit.checks.null],
                         ids=lambda m: m.__name__)
def test_examples(module) -> None:
    failed, attempted = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert attempted > 0
    assert failed == 0
