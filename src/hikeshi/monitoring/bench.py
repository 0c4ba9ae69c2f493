"""`hikeshi bench pipeline`: posts per second end to end (route, analyse, store, topics, series).

Embedded mode (default): a fresh SQLite database in a temporary data directory. ``--database-url
postgres://…``: a fresh database is created on that server for the run and dropped afterwards (the
URL's own database is only used to connect). ``--workers N`` forks N processes after the set-up,
each storing every N-th batch, as N Celery workers would.

    python -m hikeshi.monitoring.bench --posts 20000 --orgs 100 --batch 500
    python -m hikeshi.monitoring.bench --database-url postgres://postgres@127.0.0.1:5432/test --workers 2
"""

from __future__ import annotations

import argparse
import cProfile
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from hikeshi.monitoring.bench_env import bench_database, close_connections, local_server_cpu, start_django

COMPANIES = [
    "サンプル食品",
    "さくら物産",
    "ひかり電機",
    "みどり銀行",
    "あおぞら運輸",
    "こだま製菓",
    "つばさ航空",
]
TEMPLATES = [
    "{c}の新商品おいしかった",
    "{c}の店員さんの対応がとても丁寧だった",
    "{c}の弁当に髪の毛が入ってた。最悪",
    "{c}の株価が上がってる",
    "今日はいい天気。散歩してきた",
    "電車が遅れてて会社に遅刻しそう",
    "新しいカフェに行ってみた。コーヒーが美味しい",
    "{c}でバイトしてるけど店長がマジでうざい",
]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="hikeshi bench pipeline", description=__doc__)
    parser.add_argument("--posts", type=int, default=20_000)
    parser.add_argument("--orgs", type=int, default=100)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--workers", type=int, default=1, help="processes storing batches in parallel")
    parser.add_argument("--database-url", help="postgres://… server to create the benchmark database on")
    parser.add_argument("--min-rate", type=float, default=None, help="exit 1 below this many posts/s")
    parser.add_argument(
        "--profile",
        metavar="FILE",
        help="write cProfile stats of the timed part to FILE (with --workers N: FILE.0 … FILE.N-1, one per worker)",
    )
    args = parser.parse_args(argv)
    if min(args.posts, args.orgs, args.batch, args.workers) < 1:
        print(
            "hikeshi bench pipeline: --posts, --orgs, --batch and --workers must be positive", file=sys.stderr
        )
        return 2
    if args.database_url and urlsplit(args.database_url).scheme not in ("postgres", "postgresql"):
        print("hikeshi bench pipeline: --database-url must be postgres://…", file=sys.stderr)
        return 2
    with (
        tempfile.TemporaryDirectory(prefix="hikeshi-bench-") as data_dir,
        bench_database(args.database_url) as url,
    ):
        start_django(data_dir, url)
        try:
            return _run(args, url)
        finally:
            close_connections()


def _items(args: argparse.Namespace, names: list[str]) -> list[Any]:
    from hikeshi.ingest.items import Engagement, IngestedItem

    rng = random.Random(7)
    start = datetime.now(UTC) - timedelta(hours=6)
    items = []
    for i in range(args.posts):
        text = rng.choice(TEMPLATES).format(c=rng.choice(names)) + f" #{i}"
        published = start + timedelta(seconds=i * 6 * 3600 / args.posts)
        engagement = Engagement(reposts=rng.randrange(0, 50), author_followers=rng.randrange(0, 5000))
        items.append(
            IngestedItem(
                f"p{i}", text, author=f"u{rng.randrange(5000)}", published=published, engagement=engagement
            )
        )
    return items


def _store_batches(items: list[Any], args: argparse.Namespace, worker: int) -> float:
    """Store this worker's share of the batches; returns its CPU seconds."""
    from hikeshi.monitoring.pipeline import process_items

    profiler = cProfile.Profile() if args.profile else None
    cpu0 = time.process_time()
    if profiler is not None:
        profiler.enable()
    for number, offset in enumerate(range(0, len(items), args.batch)):
        if number % args.workers != worker:
            continue
        chunk = items[offset : offset + args.batch]
        process_items(chunk, source_key="push:bench", now=chunk[-1].published)
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(args.profile if args.workers == 1 else f"{args.profile}.{worker}")
    return time.process_time() - cpu0


def _run(args: argparse.Namespace, url: str | None) -> int:
    from django.db import connection, connections

    from hikeshi.analysis import get_analyzer
    from hikeshi.monitoring.actions import do_add_watch_rule
    from hikeshi.monitoring.models import Mention, Post
    from hikeshi.tenancy.models import Organization

    names = []
    for index in range(args.orgs):
        org = Organization.objects.create(slug=f"bench-{index}", name=f"bench {index}")
        company = f"{COMPANIES[index % len(COMPANIES)]}{index // len(COMPANIES) or ''}"
        names.append(company)
        do_add_watch_rule(org, name=company, terms=[{"name": company, "variants": []}])
    get_analyzer().analyze(["warm up"])  # loaded once, before forking: workers share it
    _warm_up()
    items = _items(args, names)
    server0 = local_server_cpu(url)
    wall0 = time.perf_counter()
    if args.workers == 1:
        cpu = _store_batches(items, args, 0)
    else:
        connections.close_all()  # a forked child must open its own connection
        cpu = _fork_workers(items, args)
    wall = time.perf_counter() - wall0
    server1 = local_server_cpu(url)
    vendor = connection.vendor
    rate = args.posts / cpu
    print(
        f"pipeline ({vendor}, {args.workers} worker{'s' if args.workers > 1 else ''}): {args.posts:,} posts, "
        f"{args.orgs} organisations, batches of {args.batch}; "
        f"stored {Post.objects.count():,} posts and {Mention.objects.count():,} mentions"
    )
    print(
        f"cpu {cpu:.2f} s (all workers), wall {wall:.2f} s: {rate:,.0f} posts per cpu-second, "
        f"{args.posts / wall:,.0f} posts/s (wall)"
    )
    if server0 is not None and server1 is not None:
        server = server1 - server0
        print(
            f"server cpu {server:.2f} s (PostgreSQL processes on this machine): "
            f"{1000 * cpu / args.posts:.3f} ms worker + {1000 * server / args.posts:.3f} ms server cpu per post"
        )
    problems = _check_counts()
    if problems:
        print("counts are wrong:", *problems[:10], sep="\n  ", file=sys.stderr)
        return 1
    print("checked: every topic's post count and every bucket of every series match the mentions")
    measured = rate if args.workers == 1 else args.posts / wall
    if args.min_rate is not None and measured < args.min_rate:
        print(f"below --min-rate {args.min_rate:,.0f}", file=sys.stderr)
        return 1
    return 0


def _warm_up() -> None:
    """What a long-running worker has done once before its first batch, done before the timed part:
    the modules the pipeline imports on first use (the series pull in detection and alerts: 0.30 s of
    CPU per process where no bytecode is cached, measured) and the router over the rules. A worker
    serves thousands of batches; the benchmark's few per worker counted these one-off costs as
    per-post work (two workers, 6,000 posts: about 0.1 ms of the worker CPU per post)."""
    from hikeshi.monitoring import feedback, series, topics  # noqa: F401 (imported for their side effect)
    from hikeshi.monitoring.routing import current_router

    current_router()


def _check_counts() -> list[str]:
    """What concurrent workers must not break: each topic counts its distinct posts once, and each
    organisation's ``org`` buckets add up to its distinct mentioned posts."""
    from django.db.models import Count, Sum

    from hikeshi.monitoring.models import Mention, SeriesBucket, Topic

    problems: list[str] = []
    counted = dict(
        Mention.objects.filter(topic__isnull=False)
        .values("topic_id")
        .annotate(n=Count("post_id", distinct=True))
        .values_list("topic_id", "n")
    )
    for topic_id, post_count in Topic.objects.values_list("pk", "post_count"):
        if counted.get(topic_id, 0) != post_count:
            problems.append(f"topic {topic_id}: post_count {post_count}, {counted.get(topic_id, 0)} posts")
    mentioned = dict(
        Mention.objects.values("organization_id")
        .annotate(n=Count("post_id", distinct=True))
        .values_list("organization_id", "n")
    )
    bucketed = dict(
        SeriesBucket.objects.filter(series="org")
        .values("organization_id")
        .annotate(n=Sum("mentions"))
        .values_list("organization_id", "n")
    )
    for org_id in mentioned.keys() | bucketed.keys():
        if mentioned.get(org_id, 0) != bucketed.get(org_id, 0):
            problems.append(
                f"organisation {org_id}: {mentioned.get(org_id)} posts, buckets {bucketed.get(org_id)}"
            )
    return problems + _bucket_problems()


def _bucket_problems() -> list[str]:
    """Every stored bucket of every series (posts, negative, reposts, authors) against a recount from
    its mentions: the batches only added to them (``buckets``)."""
    from collections import defaultdict

    from hikeshi.monitoring import buckets
    from hikeshi.monitoring.models import SeriesBucket

    stored: dict[tuple[int, str, datetime], tuple[Any, ...]] = {}
    keys_by_place: dict[tuple[int, datetime], set[str]] = defaultdict(set)
    for org_id, series, start, *counts in SeriesBucket.objects.values_list(
        "organization_id", "series", "bucket_start", *buckets.COUNT_FIELDS
    ):
        stored[(org_id, series, start)] = (*counts[:4], bytes(counts[4] or b""))
        keys_by_place[(org_id, start)].add(series)
    recounted = buckets._recounted(keys_by_place)
    return [
        f"bucket {key}: stored {stored[key][:4]}, recounted {recounted[key][:4]}"
        for key in sorted(stored)
        if stored[key] != recounted[key]
    ]


def _fork_workers(items: list[Any], args: argparse.Namespace) -> float:
    """Run the workers as forked processes; returns their CPU seconds together."""
    children: list[tuple[int, int]] = []
    for worker in range(args.workers):
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the child
            os.close(read_end)
            code = 0
            try:
                seconds = _store_batches(items, args, worker)
                os.write(write_end, f"{seconds}".encode())
            except BaseException:
                import traceback

                traceback.print_exc()
                code = 1
            finally:
                os._exit(code)
        os.close(write_end)
        children.append((pid, read_end))
    total = 0.0
    for pid, read_end in children:
        with os.fdopen(read_end) as pipe:
            reported = pipe.read()
        _pid, status = os.waitpid(pid, 0)
        if status != 0 or not reported:
            raise RuntimeError(f"benchmark worker {pid} failed")
        total += float(reported)
    return total


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
