"""``hikeshi bench routing``: measure routing throughput on one core against synthetic clients.

Organisation names and posts are generated from a fixed seed (no data files, no network), so the
figure is reproducible. Posts mix Japanese chatter with, at ``--match-rate``, a client's term written
in a variant spelling (half-width, hiragana, spaced, romaji) so the slow path for matching posts is
measured too.
"""

from __future__ import annotations

import argparse
import random
import time

from hikeshi.ingest.routing import Router, WatchRule, WatchTerm

_KATAKANA = "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン"
_SUFFIXES = (
    "食品",
    "工業",
    "銀行",
    "電機",
    "製薬",
    "商事",
    "ホールディングス",
    "学園",
    "高校",
    "大学",
    "物産",
    "堂",
)
_PRODUCTS = (
    "ラーメン",
    "カップ麺",
    "スマホ",
    "シャンプー",
    "チョコ",
    "弁当",
    "アプリ",
    "サプリ",
    "ビール",
    "洗剤",
)
_CHATTER = (
    "今日は朝から雨で電車が遅れてた",
    "昼ごはんに新しい店に行ってみたけど普通だった",
    "このドラマの最終回よかったな",
    "週末は家でゆっくりする予定",
    "駅前の工事いつ終わるんだろう",
    "新作ゲーム買ったけど難しすぎる",
    "猫がキーボードの上で寝てて仕事にならない",
    "明日のプレゼン準備まだ終わってない",
    "久しぶりに友達とカラオケ行った",
    "ワイ、今日も定時で帰る",
    "この動画めっちゃ笑った www",
    "台風の進路が気になる",
    "just finished work, so tired",
    "コンビニの新しいスイーツ美味しい",
)
_COMPLAINTS = (
    "の弁当に異物が入ってた",
    "の店員の態度ひどすぎ",
    "ってバイトテロの店?",
    "のCMが炎上してるらしい",
    "の対応最悪",
)
_ROMAJI = "aiueokakikukekosasisusesotatitutetonaninunenohahihuhehomamimumemo"


def _random_name(rng: random.Random) -> str:
    return "".join(rng.choice(_KATAKANA) for _ in range(rng.randint(3, 5)))


def build_rules(orgs: int, terms_per_org: int, rng: random.Random) -> list[WatchRule]:
    """``orgs`` organisations, each with ``terms_per_org`` watch terms (each with 2 variants)."""
    rules: list[WatchRule] = []
    used: set[str] = set()
    for org in range(orgs):
        watch_terms: list[WatchTerm] = []
        while len(watch_terms) < terms_per_org:
            base = _random_name(rng)
            name = base + rng.choice(_SUFFIXES) if not watch_terms else base + rng.choice(_PRODUCTS)
            if name in used:
                continue
            used.add(name)
            romaji = "".join(rng.choice(_ROMAJI) for _ in range(rng.randint(6, 10)))
            watch_terms.append(WatchTerm(name, (base + "社" if not watch_terms else base, romaji)))
        rules.append(WatchRule(rule_id=f"rule-{org}", org_id=f"org-{org}", terms=tuple(watch_terms)))
    return rules


def _variant_spelling(term: str, rng: random.Random) -> str:
    choice = rng.randrange(3)
    if choice == 0:
        return " ".join(term)  # spaced out to dodge naive search
    if choice == 1:
        return "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in term)  # hiragana
    return term


def build_posts(count: int, rules: list[WatchRule], match_rate: float, rng: random.Random) -> list[str]:
    posts: list[str] = []
    for _ in range(count):
        text = rng.choice(_CHATTER)
        if rng.random() < 0.5:
            text += "。" + rng.choice(_CHATTER)
        if rng.random() < match_rate:
            term = rng.choice(rng.choice(rules).terms).name
            text = _variant_spelling(term, rng) + rng.choice(_COMPLAINTS) + "。" + text
        posts.append(text)
    return posts


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="hikeshi bench routing", description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument("--posts", type=int, default=300_000, help="posts to route (default 300000)")
    parser.add_argument("--orgs", type=int, default=1_000, help="organisations (default 1000)")
    parser.add_argument(
        "--terms-per-org", type=int, default=10, help="watch terms per organisation (default 10)"
    )
    parser.add_argument(
        "--match-rate", type=float, default=0.05, help="share of posts naming a client (0.05)"
    )
    parser.add_argument("--seed", type=int, default=20240101)
    parser.add_argument("--min-rate", type=float, default=0.0, help="exit 1 if posts/minute is below this")
    args = parser.parse_args(argv)
    if args.posts <= 0 or args.orgs <= 0 or args.terms_per_org <= 0 or not 0 <= args.match_rate <= 1:
        parser.error("--posts, --orgs and --terms-per-org must be positive and --match-rate within 0..1")
    rng = random.Random(args.seed)
    rules = build_rules(args.orgs, args.terms_per_org, rng)
    started = time.perf_counter()
    router = Router(rules)
    build_seconds = time.perf_counter() - started
    posts = build_posts(args.posts, rules, args.match_rate, rng)
    chars = sum(len(p) for p in posts)
    route = router.route
    matched = 0
    started = time.perf_counter()
    for post in posts:
        if route(post):
            matched += 1
    seconds = time.perf_counter() - started
    per_minute = args.posts / seconds * 60
    terms = args.orgs * args.terms_per_org
    print(
        f"routing: {args.posts:,} posts (avg {chars / args.posts:.0f} chars) against {terms:,} terms "
        f"({args.orgs:,} organisations, {router.pattern_count:,} patterns incl. variants)"
    )
    print(f"automaton build: {build_seconds:.2f} s; routing: {seconds:.2f} s on one core")
    print(
        f"throughput: {per_minute:,.0f} posts/minute; posts matching a rule: {matched:,} ({matched / args.posts:.1%})"
    )
    if per_minute < args.min_rate:
        print(f"FAIL: below the required {args.min_rate:,.0f} posts/minute")
        return 1
    return 0


if __name__ == "__main__":
    import sys

    raise SystemExit(main(sys.argv[1:]))
