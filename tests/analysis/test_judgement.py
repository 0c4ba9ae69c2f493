"""Judgement's hand-written constructor must stay in step with its fields and keep the instance frozen."""

from __future__ import annotations

import dataclasses
import inspect

import pytest

from hikeshi.analysis.judgement import Judgement, Sentiment


def test_constructor_takes_exactly_the_fields_in_order() -> None:
    parameters = list(inspect.signature(Judgement.__init__).parameters)[1:]
    assert parameters == [field.name for field in dataclasses.fields(Judgement)]


def test_fields_set_frozen_and_equal_by_value() -> None:
    args = ("p1", 0.5, "medium", (), Sentiment("neutral", 0.0), 0.1, 0.2, (), "説明")
    judgement = Judgement(*args)
    assert [getattr(judgement, f.name) for f in dataclasses.fields(Judgement)] == list(args)
    assert judgement == Judgement(
        **{f.name: a for f, a in zip(dataclasses.fields(Judgement), args, strict=True)}
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        judgement.risk = 0.9  # type: ignore[misc]
    assert dataclasses.replace(judgement, level="high").level == "high"
