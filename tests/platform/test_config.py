from __future__ import annotations

import re
from pathlib import Path

import pytest

from hikeshi.config import SETTINGS, ConfigError, check_all, env_bool, env_int, env_url

README = Path(__file__).resolve().parents[2] / "README.md"


def test_every_setting_is_documented_in_the_readme() -> None:
    documented = set(re.findall(r"`(HIKESHI_[A-Z0-9_]+)`", README.read_text()))
    missing = {s.name for s in SETTINGS} - documented
    assert not missing, f"document these in README.md's configuration table: {sorted(missing)}"


def test_every_setting_read_in_code_is_declared() -> None:
    src = Path(__file__).resolve().parents[2] / "src"
    used = set()
    for path in src.rglob("*.py"):
        used |= set(re.findall(r"\"(HIKESHI_[A-Z0-9_]+)\"", path.read_text()))
    declared = {s.name for s in SETTINGS}
    assert used - declared == set(), f"declare in hikeshi.config.SETTINGS: {sorted(used - declared)}"


def test_typed_readers() -> None:
    assert env_int("HIKESHI_PORT", {"HIKESHI_PORT": "9000"}) == 9000
    assert env_int("HIKESHI_PORT", {}) == 8000
    assert env_bool("HIKESHI_DEBUG", {"HIKESHI_DEBUG": "yes"}) is True
    with pytest.raises(ConfigError, match="HIKESHI_PORT"):
        env_int("HIKESHI_PORT", {"HIKESHI_PORT": "eighty"}, minimum=1, maximum=65535)
    with pytest.raises(ConfigError, match="HIKESHI_BROKER_URL"):
        env_url("HIKESHI_BROKER_URL", {"HIKESHI_BROKER_URL": "ftp://x"}, schemes=("redis",))


def test_check_all_reports_one_line_per_problem() -> None:
    problems = check_all({"HIKESHI_PORT": "0", "HIKESHI_DEBUG": "maybe", "HIKESHI_TYPO": "1"})
    assert len(problems) == 3
    assert any(p.startswith("HIKESHI_TYPO: unknown setting") for p in problems)
    assert check_all({}) == []
