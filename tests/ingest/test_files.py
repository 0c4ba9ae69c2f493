from __future__ import annotations

import codecs
import json
from datetime import UTC, datetime

import pytest

from hikeshi.ingest.files import parse_csv, parse_datetime, parse_import, parse_jsonl

CSV = (
    "id,text,author,created_at,url,reposts,likes,replies,author_followers,source\n"
    "a1,サンプル食品の弁当に虫,@user1,2024/01/02 10:00,https://x.example/1,10,20,3,500,X\n"
    'a2,"改行を含む\n投稿",@user2,2024-01-02T01:00:00Z,,,,,,\n'
    "a3,,@user3,2024/01/02 11:00,,,,,,\n"
    "a4,いいね数が変,@user4,,,-1,,,,\n"
    "a5,日付が変,@user5,きのう,,,,,,\n"
    "a6,危険なURL,@user6,,javascript:alert(1),,,,,\n"
    'a7,最後の正常行,@user7,1704164400,,,"1,234",,,\n'
)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_csv_in_each_encoding_imports_good_rows_and_reports_bad_ones_by_line(encoding: str) -> None:
    result = parse_csv(CSV.encode(encoding), default_source="upload")
    assert [item.source_id for item in result.items] == ["a1", "a2", "a7"]
    first = result.items[0]
    assert first.text == "サンプル食品の弁当に虫"
    assert first.published == datetime(2024, 1, 2, 1, 0, tzinfo=UTC)  # naive times are JST
    assert first.engagement.to_dict() == {"reposts": 10, "likes": 20, "replies": 3, "author_followers": 500}
    assert first.source == "X"
    assert result.items[1].text == "改行を含む\n投稿"
    assert result.items[1].source == "upload"
    assert result.items[2].engagement.likes == 1234
    lines = {error.line: error.message for error in result.errors}
    assert sorted(lines) == [5, 6, 7, 8]  # the quoted newline makes a2 span lines 3-4
    assert "text" in lines[5]
    assert "likes" not in lines[6] and "reposts must be a non-negative integer" in lines[6]
    assert "created_at" in lines[7]
    assert "http(s)" in lines[8]
    assert str(result.errors[0]).startswith("line 5:")


def test_csv_with_japanese_headers_and_no_ids_gets_stable_ids() -> None:
    data = "本文,投稿日時,いいね数\n炎上してる,2024/01/02 10:00,5\n".encode("cp932")
    first = parse_csv(data)
    second = parse_csv(data)
    assert first.items[0].source_id == second.items[0].source_id
    assert first.items[0].engagement.likes == 5
    assert first.encoding == "cp932"


def test_csv_without_text_column_is_one_clear_error() -> None:
    result = parse_csv(b"id,body2\n1,x\n")
    assert result.items == []
    assert result.errors[0].line == 1 and "'text' column" in result.errors[0].message


def test_csv_too_many_fields_and_undecodable_bytes() -> None:
    data = b"text,likes\nok,1\ntoo,many,fields\n" + "あ".encode() + b"\xff\xfe,1\n"
    result = parse_csv(data)
    assert [item.text for item in result.items] == ["ok"]
    assert [error.line for error in result.errors] == [3, 4]


def test_jsonl_good_and_bad_lines() -> None:
    lines = [
        json.dumps(
            {"text": "一件目", "likes": 3, "created_at": "2024-01-02T10:00:00+09:00"}, ensure_ascii=False
        ),
        "",
        "{not json",
        "[1, 2]",
        json.dumps({"text": 5}),
        json.dumps({"text": "ok", "replies": "many"}),
        json.dumps({"id": 99, "text": "数値id", "url": "https://e.example/"}, ensure_ascii=False),
    ]
    result = parse_jsonl("\n".join(lines).encode())
    assert [item.text for item in result.items] == ["一件目", "数値id"]
    assert result.items[0].published == datetime(2024, 1, 2, 1, tzinfo=UTC)
    assert result.items[1].source_id == "99"
    assert [(error.line, error.message.split(" ")[0]) for error in result.errors] == [
        (3, "invalid"),
        (4, "expected"),
        (5, "'text'"),
        (6, "replies"),
    ]


def test_jsonl_with_bom() -> None:
    result = parse_jsonl(codecs.BOM_UTF8 + b'{"text": "x y"}\n')
    assert result.items[0].text == "x y"


def test_parse_import_dispatches_on_extension() -> None:
    assert parse_import(b'{"text": "abc"}', "posts.JSONL").items[0].text == "abc"
    assert parse_import(b"text\nabc\n", "posts.csv").items[0].text == "abc"
    with pytest.raises(ValueError, match="unsupported"):
        parse_import(b"", "posts.xlsx")


def test_datetime_formats() -> None:
    assert parse_datetime("2024年1月2日 10:00") == datetime(2024, 1, 2, 1, tzinfo=UTC)
    assert parse_datetime("1704164400000") == datetime(2024, 1, 2, 3, tzinfo=UTC)
    with pytest.raises(ValueError, match="not a date"):
        parse_datetime("yesterday")
