"""`hikeshi analyze` (JSON Lines in, judgements out) and `hikeshi check` (the pre-post check for a person)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from typing import IO, Any

from hikeshi.analysis.custom import CustomTerms
from hikeshi.analysis.judgement import Judgement
from hikeshi.analysis.taxonomy import CATEGORY_LABELS_JA

EXIT_OK = 0
EXIT_LINES_FAILED = 1
EXIT_RISKY = 1
EXIT_USAGE = 2
EXIT_ENGINE = 3

LEVEL_LABELS_JA = {"none": "なし", "low": "低", "medium": "中", "high": "高", "critical": "重大"}
PII_LABELS_JA = {
    "phone": "電話番号",
    "email": "メールアドレス",
    "postal_code": "郵便番号",
    "address": "住所",
    "my_number": "マイナンバー",
    "card_number": "カード番号",
    "bank_account": "口座番号",
    "car_plate": "ナンバープレート",
    "person_name": "人名",
}


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line and exit code 2, without printing the usage block."""

    def error(self, message: str) -> Any:
        print(f"{self.prog}: {message}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def _add_custom_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("organisation vocabulary (repeatable)")
    group.add_argument(
        "--confidential", action="append", default=[], metavar="WORD", help="code name or unreleased product"
    )
    group.add_argument(
        "--vip", action="append", default=[], metavar="NAME", help="famous customer or sponsored player"
    )
    group.add_argument(
        "--own-name", action="append", default=[], metavar="NAME", help="the organisation's own name"
    )


def _custom_terms(args: argparse.Namespace) -> CustomTerms | None:
    terms = CustomTerms(tuple(args.confidential), tuple(args.vip), tuple(args.own_name))
    return None if terms.is_empty() else terms


def _load_analyzer(prog: str) -> Any:
    from hikeshi.analysis.analyzer import get_analyzer

    try:
        return get_analyzer()
    except Exception as exc:  # the engine's data or tokenizer failed to load: one line, no traceback
        print(f"{prog}: the analysis engine could not start: {exc}", file=sys.stderr)
        return None


def _parse_line(number: int, raw: bytes) -> tuple[str | None, str] | str | None:
    """``(id, text)``, or an error message, or None for a blank line."""
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"line {number}: invalid UTF-8 at byte {exc.start}"
    if not line.strip():
        return None
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        return f"line {number}: invalid JSON: {exc.msg} (column {exc.colno})"
    if not isinstance(record, dict):
        return f'line {number}: expected a JSON object with a "text" field'
    text = record.get("text")
    if not isinstance(text, str):
        return f'line {number}: no "text" string'
    raw_id = record.get("id")
    if raw_id is not None and not isinstance(raw_id, str | int):
        return f'line {number}: "id" must be a string or an integer'
    return (None if raw_id is None else str(raw_id), text)


def _batches(stream: IO[bytes], size: int) -> Iterator[list[tuple[int, bytes]]]:
    batch: list[tuple[int, bytes]] = []
    for number, raw in enumerate(stream, start=1):
        batch.append((number, raw.rstrip(b"\r\n")))
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def main_analyze(argv: list[str]) -> int:
    parser = _Parser(
        prog="hikeshi analyze",
        description='Judge posts for 炎上 risk. Input: JSON Lines {"id": ..., "text": ...}; output: one JSON '
        "judgement per line, in input order. A bad line is reported on stderr with its line number and skipped.",
        epilog="exit codes: 0 every line judged, 1 some lines failed, 2 usage error (or unreadable input), "
        "3 the engine could not start",
    )
    parser.add_argument("file", nargs="?", default="-", help="JSON Lines file (default: standard input)")
    parser.add_argument("--batch-size", type=int, default=512, help="posts judged together (default 512)")
    _add_custom_options(parser)
    args = parser.parse_args(argv)
    if args.batch_size < 1:
        parser.error("--batch-size must be at least 1")
    try:
        stream: IO[bytes] = sys.stdin.buffer if args.file == "-" else open(args.file, "rb")  # noqa: SIM115
    except OSError as exc:
        print(f"hikeshi analyze: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return EXIT_USAGE
    analyzer = _load_analyzer("hikeshi analyze")
    if analyzer is None:
        return EXIT_ENGINE
    custom = _custom_terms(args)
    failed = 0
    out = sys.stdout
    try:
        for batch in _batches(stream, args.batch_size):
            ids: list[str | None] = []
            texts: list[str] = []
            for number, raw in batch:
                parsed = _parse_line(number, raw)
                if parsed is None:
                    continue
                if isinstance(parsed, str):
                    failed += 1
                    print(f"hikeshi analyze: {parsed}", file=sys.stderr)
                    continue
                ids.append(parsed[0])
                texts.append(parsed[1])
            for judgement in analyzer.analyze(texts, ids=ids, custom=custom):
                out.write(judgement.to_json())
                out.write("\n")
            out.flush()
    except OSError as exc:
        print(f"hikeshi analyze: read error: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()
    return EXIT_LINES_FAILED if failed else EXIT_OK


def highlight(text: str, judgement: Judgement) -> str:
    """The text with every evidence span wrapped in 【】 (overlapping spans merged)."""
    spans = sorted({(e.start, e.end) for c in judgement.categories for e in c.evidence})
    merged: list[list[int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    pieces: list[str] = []
    pos = 0
    for start, end in merged:
        pieces.append(text[pos:start])
        pieces.append(f"【{text[start:end]}】")
        pos = end
    pieces.append(text[pos:])
    return "".join(pieces)


def render_check(text: str, judgement: Judgement) -> str:
    lines = [f"判定: {LEVEL_LABELS_JA[judgement.level]} ({judgement.level})  リスク {judgement.risk:.2f}"]
    if judgement.categories:
        lines.append("分類:")
        for category in judgement.categories:
            lines.append(f"  - {CATEGORY_LABELS_JA[category.code]} ({category.code}) {category.score:.2f}")
        lines.append(f"本文: {highlight(text, judgement)}")
        lines.append("根拠:")
        for category in judgement.categories:
            for evidence in category.evidence:
                lines.append(
                    f"  「{evidence.text}」({evidence.start + 1}〜{evidence.end}文字目) {evidence.reason}"
                )
    if judgement.pii:
        lines.append("個人情報:")
        for item in judgement.pii:
            lines.append(f"  - {PII_LABELS_JA.get(item.type, item.type)}「{item.text}」")
    lines.append(f"説明: {judgement.explanation}")
    return "\n".join(lines)


def main_check(argv: list[str]) -> int:
    parser = _Parser(
        prog="hikeshi check",
        description="投稿前チェック: 文章の炎上リスク、該当する分類、根拠の箇所と説明を表示します。",
        epilog="exit codes: 0 level none or low, 1 level medium or above (reconsider before posting), "
        "2 usage error, 3 the engine could not start",
    )
    parser.add_argument("text", nargs="?", help="the text to check; '-' or omitted reads standard input")
    parser.add_argument("--json", action="store_true", help="print the judgement as JSON")
    _add_custom_options(parser)
    args = parser.parse_args(argv)
    if args.text is None or args.text == "-":
        data = sys.stdin.buffer.read()
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            print(f"hikeshi check: standard input is not UTF-8 (byte {exc.start})", file=sys.stderr)
            return EXIT_USAGE
    else:
        text = args.text
    if not text.strip():
        print("hikeshi check: the text is empty", file=sys.stderr)
        return EXIT_USAGE
    analyzer = _load_analyzer("hikeshi check")
    if analyzer is None:
        return EXIT_ENGINE
    judgement = analyzer.analyze_one(text, custom=_custom_terms(args))
    print(judgement.to_json() if args.json else render_check(text, judgement))
    return EXIT_RISKY if judgement.level in ("medium", "high", "critical") else EXIT_OK
