"""The analyzer's shortcut for quiet posts (no rule fired, no category past its threshold) must give exactly
the judgement of the general path: it exists for speed only."""

from __future__ import annotations

import json
from functools import partialmethod
from pathlib import Path

import pytest

from hikeshi.analysis import analyzer as analyzer_module
from hikeshi.analysis.analyzer import Analyzer, get_analyzer
from hikeshi.analysis.bench import SAMPLE_POSTS

TEAM_ROWS = Path(analyzer_module.__file__).parent / "training" / "category_team"


def _texts() -> list[str]:
    texts = list(SAMPLE_POSTS)
    for path in sorted(TEAM_ROWS.glob("*.jsonl")):
        texts += [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines() if line]
    # Rough words, negations and laughter: toxicity and wrongdoing signals without any rule.
    texts += [
        "まじでうざいｗｗｗ",
        "昨日ちょっとやらかした",
        "飲んだら乗らない、当たり前",
        "😇😇😇",
        "",
        "草",
    ]
    return texts


def test_the_quiet_post_shortcut_gives_the_general_paths_judgement(monkeypatch: pytest.MonkeyPatch) -> None:
    analyzer = get_analyzer()
    if not analyzer.models_loaded:
        pytest.skip("the shortcut only applies with the statistical models")
    texts = _texts()
    quick = [j.to_dict() for j in analyzer.analyze(texts)]
    monkeypatch.setattr(Analyzer, "_judge", partialmethod(Analyzer._judge, fast=False))
    general = [j.to_dict() for j in analyzer.analyze(texts)]
    assert quick == general
    quiet = sum(1 for j in quick if not j["categories"])
    assert quiet > 300  # the shortcut was exercised, including posts with some risk from the signals alone
    assert any(not j["categories"] and j["risk"] >= 0.15 for j in quick)
