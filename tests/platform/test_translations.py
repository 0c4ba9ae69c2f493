from __future__ import annotations

import ast
import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.utils import translation

LC_MESSAGES = Path(settings.LOCALE_PATHS[0]) / "en" / "LC_MESSAGES"
PO_PATH = LC_MESSAGES / "django.po"
MO_PATH = LC_MESSAGES / "django.mo"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0


def parse_po(path: Path) -> list[Entry]:
    """A small .po parser: enough for what makemessages writes (no obsolete `#~` entries)."""
    entries: list[Entry] = []
    current = Entry()
    target: tuple[str, int] | None = None

    def flush() -> None:
        nonlocal current
        if target is not None:
            entries.append(current)
        current = Entry()

    for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#,"):
            if target is not None and target[0] == "msgstr":
                flush()
                target = None
            current.flags.update(flag.strip() for flag in line[2:].split(","))
            continue
        if line.startswith("#"):
            continue
        if line.startswith('"'):
            assert target is not None, f"{path}:{lineno}: continuation line without a keyword"
            value = ast.literal_eval(line)
            keyword, index = target
            if keyword == "msgstr":
                current.msgstr[index] += value
            else:
                setattr(current, keyword, getattr(current, keyword) + value)
            continue
        keyword, _, rest = line.partition(" ")
        value = ast.literal_eval(rest)
        if keyword in {"msgctxt", "msgid"} and target is not None and target[0] == "msgstr":
            flush()
        if keyword.startswith("msgstr"):
            index = int(keyword[7:-1]) if keyword.startswith("msgstr[") else 0
            current.msgstr[index] = value
            target = ("msgstr", index)
        elif keyword in {"msgid", "msgid_plural", "msgctxt"}:
            if keyword == "msgid":
                current.line = lineno
            setattr(current, keyword, value)
            target = (keyword, 0)
        else:
            raise AssertionError(f"{path}:{lineno}: unexpected line {raw!r}")
    if target is not None:
        entries.append(current)
    return entries


@pytest.fixture(scope="module")
def entries() -> list[Entry]:
    parsed = parse_po(PO_PATH)
    assert parsed and parsed[0].msgid == "", "the .po must start with its header"
    return parsed


@pytest.fixture(scope="module")
def messages(entries: list[Entry]) -> list[Entry]:
    return [e for e in entries if e.msgid]


def test_catalogue_has_plural_forms_header(entries: list[Entry]) -> None:
    header = entries[0].msgstr[0]
    assert "Language: en\n" in header
    assert "Plural-Forms: nplurals=2; plural=(n != 1);" in header
    assert "charset=UTF-8" in header


def test_every_message_is_translated(messages: list[Entry]) -> None:
    assert len(messages) > 100
    empty = [e.msgid for e in messages if not all(e.msgstr.values())]
    assert not empty, f"untranslated: {empty}"
    plurals = [e for e in messages if e.msgid_plural is not None]
    assert plurals
    for e in plurals:
        assert sorted(e.msgstr) == [0, 1], e.msgid


def test_no_fuzzy_entries(entries: list[Entry]) -> None:
    fuzzy = [e.msgid for e in entries if "fuzzy" in e.flags]
    assert not fuzzy, f"fuzzy: {fuzzy}"


def test_translations_are_english_and_keep_placeholders(messages: list[Entry]) -> None:
    japanese = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
    for e in messages:
        wanted = sorted(PLACEHOLDER.findall(e.msgid))
        for index, msgstr in e.msgstr.items():
            assert not japanese.search(msgstr), f"line {e.line}: Japanese left in {msgstr!r}"
            assert sorted(PLACEHOLDER.findall(msgstr)) == wanted, f"line {e.line}[{index}]: {msgstr!r}"


def test_mo_is_compiled_from_the_current_po(messages: list[Entry]) -> None:
    assert MO_PATH.exists(), (
        "run: msgfmt --check -o locale/en/LC_MESSAGES/django.mo locale/en/LC_MESSAGES/django.po"
    )
    with MO_PATH.open("rb") as fp:
        catalogue = gettext.GNUTranslations(fp)
    stale = []
    for e in messages:
        if e.msgid_plural is None:
            got = (
                catalogue.pgettext(e.msgctxt, e.msgid)
                if e.msgctxt is not None
                else catalogue.gettext(e.msgid)
            )
            if got != e.msgstr[0]:
                stale.append(e.msgid)
            continue
        for n, index in ((1, 0), (2, 1)):
            if e.msgctxt is not None:
                got = catalogue.npgettext(e.msgctxt, e.msgid, e.msgid_plural, n)
            else:
                got = catalogue.ngettext(e.msgid, e.msgid_plural, n)
            if got != e.msgstr[index]:
                stale.append(e.msgid)
    assert not stale, f"django.mo is out of date with django.po: {stale}"


def _heading(body: str) -> str:
    match = re.search(r"<h1[^>]*>(.*?)</h1>", body, re.S)
    assert match, body
    return match.group(1).strip()


@pytest.mark.django_db
def test_login_page_in_english_with_language_cookie(client: Client) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    body = response.content.decode()
    assert '<html lang="en">' in body
    assert _heading(body) == "Log in"
    assert "ログイン" not in _heading(body)
    assert "Email address" in body and "Password" in body


@pytest.mark.django_db
def test_login_page_defaults_to_japanese(client: Client) -> None:
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    body = response.content.decode()
    assert '<html lang="ja">' in body
    assert _heading(body) == "ログイン"
    assert "Log in" not in body


def test_plural_forms_render_in_english() -> None:
    with translation.override("en"):
        assert translation.ngettext("%(n)s 名", "%(n)s 名", 1) % {"n": 1} == "1 member"
        assert translation.ngettext("%(n)s 名", "%(n)s 名", 3) % {"n": 3} == "3 members"
        assert translation.gettext("4 大炎上") == "4 Major firestorm"
    with translation.override("ja"):
        assert translation.gettext("4 大炎上") == "4 大炎上"
