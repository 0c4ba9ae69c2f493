"""Bulk data for `hikeshi bench pages`: many stored posts, mentions, topics and series, fast.

Rows are written with ``executemany`` in large batches, not through the pipeline: the benchmark measures
the pages over a big database, and a million posts through the pipeline would take an hour. The rows are
shaped as the pipeline stores them (judgements with evidence spans that index the text, mentions with
the watched words' spans, a topic per story, 5-minute series buckets counted from the mentions), so
the pages read them exactly as they read real data.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection, transaction

from hikeshi.monitoring.bench import COMPANIES

BUCKET = 300
ORG_NAMES = COMPANIES  # the same fictional clients as the pipeline benchmark
PRODUCTS = ["幕の内弁当", "からあげ弁当", "のり弁", "おにぎり", "サンドイッチ", "新商品のプリン", "冷凍餃子"]
PLACES = ["新宿店", "梅田店", "博多駅前店", "札幌大通店", "名古屋栄店", "横浜西口店", "仙台一番町店"]
TEMPLATES = [
    "{c}の{p}おいしかった。また買いたい",
    "{c}{s}の店員さんの対応がとても丁寧だった",
    "{c}の{p}にビニール片が入ってた。最悪、二度と買わない",
    "{c}の{p}に髪の毛が入ってたんだけど、これって保健所に言うべき？",
    "{c}の株価が上がってる。決算よかったらしい",
    "{c}{s}でバイトしてるけど店長がマジでうざい。サービス残業ばかり",
    "{c}の{p}、値上げしたのに量が減ってない？",
    "{c}の新しいCM好き。{p}食べたくなる",
    "{c}{s}の前で事故があったみたい。救急車が来てる",
    "{c}の社員が客の個人情報を晒してるってまとめで見た",
    "{c}の{p}で腹痛。食中毒じゃないよね",
    "今日は{c}の{p}を買って公園で食べた。いい天気",
]
SOURCE_KINDS = [("rss", "ニュース RSS"), ("page", "5ch スレ"), ("page", "まとめブログ"), ("push", "クローラ")]


@dataclass
class Generated:
    orgs: list[int]
    rules: dict[int, list[int]]
    sources: dict[int, list[int]]
    posts: int = 0
    mentions: int = 0
    topics: int = 0
    buckets: int = 0
    rare_word: str = ""
    timings: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Template:
    text: str
    judgement: str
    """JSON of the engine's judgement of ``text`` (evidence spans index it; a suffix keeps them valid)."""
    risk: float
    level: str
    categories: str
    negative: bool
    toxicity: float
    sentiment: float
    company_span: tuple[int, int]


def _templates(rng: random.Random) -> list[_Template]:
    from hikeshi.analysis import get_analyzer

    texts: list[tuple[str, str]] = []
    for index, template in enumerate(TEMPLATES):
        for company in ORG_NAMES:
            place = PLACES[(index + len(texts)) % len(PLACES)]
            product = PRODUCTS[(index * 3 + len(texts)) % len(PRODUCTS)]
            texts.append((template.format(c=company, p=product, s=place), company))
    judgements = get_analyzer().analyze([t for t, _c in texts])
    out = []
    for (text, company), judgement in zip(texts, judgements, strict=True):
        data = judgement.to_dict()
        start = text.index(company)
        out.append(
            _Template(
                text=text,
                judgement=json.dumps(data, ensure_ascii=False),
                risk=float(data["risk"]),
                level=str(data["level"]),
                categories=json.dumps([c["code"] for c in data["categories"]]),
                negative=float(data["sentiment"]["score"]) < -0.3,
                toxicity=float(data["toxicity"]),
                sentiment=float(data["sentiment"]["score"]),
                company_span=(start, start + len(company)),
            )
        )
    rng.shuffle(out)
    return out


def _time(value: datetime) -> Any:
    """How a datetime is bound: SQLite stores naive UTC text (as Django does); psycopg adapts datetimes."""
    if connection.vendor == "sqlite":
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
    return value


def _bucket(value: datetime) -> datetime:
    return datetime.fromtimestamp(int(value.timestamp()) // BUCKET * BUCKET, tz=UTC)


def _insert(table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
    if not rows:
        return
    quote = connection.ops.quote_name
    names = ", ".join(quote(c) for c in columns)
    marks = ", ".join(["%s"] * len(columns))
    with connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO {quote(table)} ({names}) VALUES ({marks})", rows)  # noqa: S608


def _next_id(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {connection.ops.quote_name(table)}")  # noqa: S608
        return int(cursor.fetchone()[0]) + 1


def _reset_sequences(tables: Sequence[str]) -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"  # noqa: S608
            )


@transaction.atomic
def generate(
    posts: int,
    org_ids: list[int],
    rules: dict[int, list[int]],
    sources: dict[int, list[int]],
    *,
    batch: int = 20_000,
    days: int = 30,
    now: datetime | None = None,
    progress: Callable[[str], None] = lambda _m: None,
) -> Generated:
    """``posts`` posts over the last ``days`` days, in one transaction (mentions point to topics that
    are written at the end, with their final counts). The first organisation is mentioned by 60 % of them
    (the one the benchmark looks at), the others share the rest and overlap it; about half the
    mentions belong to a story topic (same template, same six hours), the rest are topics of one post."""
    rng = random.Random(4)
    templates = _templates(rng)
    now = now or datetime.now(UTC)
    start = now - timedelta(days=days)
    step = (now - start) / max(posts, 1)
    main, others = org_ids[0], org_ids[1:] or org_ids[:1]
    post_id, mention_id, topic_id = (
        _next_id("monitoring_post"),
        _next_id("monitoring_mention"),
        _next_id("monitoring_topic"),
    )
    result = Generated(org_ids, rules, sources, rare_word=f"珍語{rng.randrange(10**6):06d}")
    rare_index = posts // 3 - posts // 3 % 5  # one post, mentioned by the first organisation
    series: dict[tuple[int, str, datetime], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    authors: dict[tuple[int, str, datetime], set[int]] = defaultdict(set)
    topics: dict[tuple[int, str], list[Any]] = {}
    post_cols = [
        "id",
        "source_key",
        "source_id",
        "content_hash",
        "text",
        "title",
        "url",
        "author",
        "origin",
        "published_at",
        "fetched_at",
        "reposts",
        "likes",
        "replies",
        "author_followers",
        "views",
        "risk",
        "level",
        "categories",
        "toxicity",
        "sentiment",
        "judgement",
    ]
    mention_cols = [
        "id",
        "organization_id",
        "post_id",
        "rule_id",
        "source_id",
        "topic_id",
        "posted_at",
        "bucket_start",
        "spans",
        "risk",
        "level",
        "categories",
        "negative",
        "created_at",
    ]
    for offset in range(0, posts, batch):
        post_rows: list[tuple[Any, ...]] = []
        mention_rows: list[tuple[Any, ...]] = []
        for i in range(offset, min(posts, offset + batch)):
            tpl = templates[i % len(templates)] if i % 7 else rng.choice(templates)
            suffix = f" {result.rare_word}" if i == rare_index else f" #{i}"
            text = tpl.text + suffix
            published = start + step * i
            author = rng.randrange(200_000)
            reposts = rng.randrange(0, 40) if tpl.negative else rng.randrange(0, 5)
            stamp = _time(published)
            post_rows.append(
                (
                    post_id,
                    f"rss:https://news.example/{i % 50}",
                    f"p{i}",
                    hashlib.blake2b(text.encode(), digest_size=16).hexdigest(),
                    text,
                    "",
                    f"https://news.example/{i % 50}/{i}",
                    f"user{author}",
                    "news.example",
                    stamp,
                    stamp,
                    reposts,
                    rng.randrange(0, 100),
                    rng.randrange(0, 10),
                    rng.randrange(0, 20_000),
                    None,
                    tpl.risk,
                    tpl.level,
                    tpl.categories,
                    tpl.toxicity,
                    tpl.sentiment,
                    tpl.judgement,
                )
            )
            orgs = ([main] if i % 5 < 3 else []) + ([others[i % len(others)]] if i % 5 >= 2 else [])
            bucket = _bucket(published)
            for org in orgs:
                rule = rules[org][i % len(rules[org])]
                source = sources[org][i % len(sources[org])] if sources.get(org) else None
                story = i % 2 == 0
                key = (
                    f"story:{tpl.text}:{int(published.timestamp()) // 21600}" if story else f"post:{post_id}"
                )
                topic = topics.get((org, key))
                if topic is None:
                    # [id, first post, count, first seen, last activity, level, sources]
                    topic = topics[(org, key)] = [topic_id, post_id, 0, published, published, 0, Counter()]
                    topic_id += 1
                topic[2] += 1
                topic[4] = published
                topic[6]["news.example"] += 1
                if tpl.negative and topic[2] >= 20:
                    topic[5] = min(3, 1 + topic[2] // 60)
                mention_rows.append(
                    (
                        mention_id,
                        org,
                        post_id,
                        rule,
                        source,
                        topic[0],
                        stamp,
                        _time(bucket),
                        json.dumps([list(tpl.company_span)]),
                        tpl.risk,
                        tpl.level,
                        tpl.categories,
                        tpl.negative,
                        stamp,
                    )
                )
                mention_id += 1
                for name in ("org", f"rule:{rule}", f"topic:{topic[0]}"):
                    counts = series[(org, name, bucket)]
                    counts[0] += 1
                    counts[1] += tpl.negative
                    counts[2] += reposts
                    authors[(org, name, bucket)].add(author)
            post_id += 1
        _insert("monitoring_post", post_cols, post_rows)
        _insert("monitoring_mention", mention_cols, mention_rows)
        result.posts += len(post_rows)
        result.mentions += len(mention_rows)
        progress(f"{result.posts:,} posts, {result.mentions:,} mentions")
    _insert(
        "monitoring_topic",
        [
            "id",
            "organization_id",
            "key",
            "first_post_id",
            "post_count",
            "sources",
            "first_seen",
            "last_activity",
            "level",
            "explanation",
        ],
        [
            (
                t[0],
                org,
                hashlib.blake2b(key.encode(), digest_size=16).hexdigest(),
                t[1],
                t[2],
                json.dumps(dict(t[6]), ensure_ascii=False),
                _time(t[3]),
                _time(t[4]),
                t[5],
                "苦情の投稿が短時間に増えています" if t[5] else "",
            )
            for (org, key), t in topics.items()
        ],
    )
    rows = [
        (org, name, _time(bucket), c[0], c[1], c[2], len(authors[(org, name, bucket)]))
        for (org, name, bucket), c in series.items()
    ]
    for chunk in _chunks(rows, 50_000):
        _insert(
            "monitoring_seriesbucket",
            ["organization_id", "series", "bucket_start", "mentions", "negative", "reposts", "authors"],
            chunk,
        )
    _reset_sequences(["monitoring_post", "monitoring_mention", "monitoring_topic"])
    result.topics = len(topics)
    result.buckets = len(series)
    return result


def _chunks(rows: list[tuple[Any, ...]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    for offset in range(0, len(rows), size):
        yield rows[offset : offset + size]
