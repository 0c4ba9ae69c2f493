"""The `hikeshi` command as an operator runs it: real subprocesses, one-line errors, exit codes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def run(args: list[str], data_dir: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("HIKESHI_")}
    environ.update({"HIKESHI_DATA_DIR": str(data_dir), **env})
    return subprocess.run(
        [sys.executable, "-m", "hikeshi.cli", *args], capture_output=True, text=True, env=environ, timeout=120
    )


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cli")
    assert run(["migrate", "--verbosity", "0"], path).returncode == 0
    return path


def test_org_create_and_list(data_dir: Path) -> None:
    created = run(["org", "create", "acme", "--name", "株式会社アクメ"], data_dir)
    assert created.returncode == 0, created.stderr
    listed = run(["org", "list"], data_dir)
    assert "acme\t株式会社アクメ" in listed.stdout.splitlines()


def test_bad_arguments_give_one_line_and_nonzero_exit(data_dir: Path) -> None:
    bad_slug = run(["org", "create", "Bad Slug", "--name", "x"], data_dir)
    assert bad_slug.returncode != 0
    assert "Traceback" not in bad_slug.stderr and len(bad_slug.stderr.strip().splitlines()) == 1
    duplicate = run(["org", "create", "acme2", "--name", "x"], data_dir)
    again = run(["org", "create", "acme2", "--name", "x"], data_dir)
    assert duplicate.returncode == 0 and again.returncode != 0 and "acme2" in again.stderr
    unknown_org = run(["user", "invite", "--org", "nope", "--email", "a@example.com"], data_dir)
    assert (
        unknown_org.returncode != 0 and "nope" in unknown_org.stderr and "Traceback" not in unknown_org.stderr
    )


def test_user_invite_prints_link(data_dir: Path) -> None:
    run(["org", "create", "invitee-org", "--name", "招待テスト"], data_dir)
    result = run(
        ["user", "invite", "--org", "invitee-org", "--email", "x@example.com", "--no-email"], data_dir
    )
    assert result.returncode == 0, result.stderr
    assert "/accounts/invite/" in result.stdout


def test_createadmin_and_demo(data_dir: Path, tmp_path: Path) -> None:
    admin = run(["createadmin", "--email", "root@example.com"], data_dir)
    assert admin.returncode == 0 and "password:" in admin.stdout
    fresh = tmp_path / "fresh"
    run(["migrate", "--verbosity", "0"], fresh)
    demo = run(["demo", "--if-empty"], fresh, HIKESHI_DEMO_PASSWORD="demo-pass-123456")
    assert demo.returncode == 0, demo.stderr
    assert "operator@example.com" in demo.stdout and "demo-pass-123456" in demo.stdout
    assert "sample-foods\t株式会社サンプル食品" in run(["org", "list"], fresh).stdout
    again = run(["demo", "--if-empty"], fresh)
    assert again.returncode == 0 and "operator@example.com" in again.stdout


def test_check_config(data_dir: Path) -> None:
    ok = run(["check-config"], data_dir)
    assert ok.returncode == 0
    bad = run(["check-config"], data_dir, HIKESHI_PORT="http", HIKESHI_BROKER_URL="ftp://x")
    assert bad.returncode == 1
    assert len(bad.stderr.strip().splitlines()) == 2


def test_bad_configuration_is_one_line_for_any_command(data_dir: Path) -> None:
    result = run(["org", "list"], data_dir, HIKESHI_PORT="eighty")
    assert result.returncode == 2
    assert result.stderr.strip().startswith("hikeshi: configuration error: HIKESHI_PORT")
    assert "Traceback" not in result.stderr
