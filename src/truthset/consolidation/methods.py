"""Classification methods by name: what the CLI and the job layer choose from."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from truthset.consolidation.answers import Answers
from truthset.consolidation.bayes_ds import bayes_ds
from truthset.consolidation.dawid_skene import dawid_skene
from truthset.consolidation.majority import majority_vote
from truthset.consolidation.result import Result


class Method(Protocol):
    def __call__(
        self, answers: Answers, gold: Mapping[int, int] | None = None, seed: int = 0
    ) -> Result: ...


DEFAULT_METHOD = "bayes-ds"

METHODS: dict[str, Method] = {
    "bayes-ds": bayes_ds,
    "dawid-skene": dawid_skene,
    "majority": majority_vote,
}


class UnknownMethod(ValueError):
    def __init__(self, name: str) -> None:
        known = ", ".join(sorted(METHODS))
        super().__init__(f"unknown consolidation method {name!r} (known: default, {known})")
        self.name = name


def method_named(name: str) -> Method:
    """The method registered under ``name``; "default" is ``DEFAULT_METHOD``."""
    key = DEFAULT_METHOD if name == "default" else name
    try:
        return METHODS[key]
    except KeyError:
        raise UnknownMethod(name) from None


def consolidate(
    answers: Answers,
    method: str = "default",
    gold: Mapping[int, int] | None = None,
    seed: int = 0,
) -> Result:
    """Consolidates classification answers with the named method.

    ``gold`` maps item index -> true label index (``encode_gold`` converts ids); gold items keep
    their label and anchor the estimates of everyone who answered them.

    >>> from truthset.consolidation.answers import encode_answers
    >>> a = encode_answers(["img1"] * 3, ["ann", "bob", "cy"], ["cat", "cat", "dog"])
    >>> r = consolidate(a)
    >>> r.label_id(0), r.method
    ('cat', 'bayes-ds')
    """
    return method_named(method)(answers, gold, seed)
