"""Reading the package's own data files."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from .errors import ContentError

CONTENT_DIR = Path(__file__).resolve().parent


def load_toml(relative_path: str) -> dict[str, Any]:
    path = CONTENT_DIR / relative_path
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError as exc:
        raise ContentError(f"{relative_path}: ファイルがありません") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ContentError(f"{relative_path}: TOMLとして読めません（{exc}）") from exc


def require_str(table: dict[str, Any], key: str, where: str, *, allow_empty: bool = False) -> str:
    value = table.get(key)
    if not isinstance(value, str) or (not allow_empty and not value.strip()):
        raise ContentError(f"{where}: 「{key}」に文字列が必要です")
    return value


def require_list(table: dict[str, Any], key: str, where: str) -> list[Any]:
    value = table.get(key, [])
    if not isinstance(value, list):
        raise ContentError(f"{where}: 「{key}」は配列である必要があります")
    return value


def check_keys(table: dict[str, Any], allowed: set[str], where: str) -> None:
    """Typos in content files (``hedaing``) must fail loudly instead of silently dropping text."""
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ContentError(f"{where}: 未知のキー {unknown}")
