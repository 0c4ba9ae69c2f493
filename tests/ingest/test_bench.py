from __future__ import annotations

import pytest

from hikeshi.ingest.bench import build_rules, main


def test_bench_runs_small_and_prints_the_figure(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--posts", "3000", "--orgs", "50", "--terms-per-org", "4"]) == 0
    out = capsys.readouterr().out
    assert "posts/minute" in out and "200 terms" in out


def test_bench_fails_below_the_required_rate(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--posts", "500", "--orgs", "5", "--min-rate", "1e15"]) == 1
    assert "FAIL" in capsys.readouterr().out


def test_bench_rules_are_valid_and_unique() -> None:
    import random

    rules = build_rules(100, 10, random.Random(1))
    names = [term.name for rule in rules for term in rule.terms]
    assert len(names) == len(set(names)) == 1000


def test_bench_rejects_bad_arguments() -> None:
    with pytest.raises(SystemExit):
        main(["--posts", "0"])
