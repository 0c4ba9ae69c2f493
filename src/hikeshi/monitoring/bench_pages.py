"""`hikeshi bench pages`: response times of the monitoring pages over a big database.

Generates ``--posts`` stored posts (default 1,000,000; see ``bench_data``) into a fresh SQLite database
in a temporary data directory (or ``--data-dir DIR``, kept and reused by later runs: generation happens
only while the database holds no post), or with ``--database-url postgres://…`` into a database created
on that server and dropped afterwards. Then requests the dashboard, the feed (no filter, each filter,
full-text searches, the next page and a deep page), a post page and a topic page ``--repeat`` times each
through Django's test client, logged in as a member of the organisation mentioned by most posts, and
prints p50 / p95 / max milliseconds and the number of SQL queries of each page.

    python -m hikeshi.monitoring.bench_pages --posts 1000000 --data-dir /tmp/hikeshi-pages
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from hikeshi.monitoring.bench_env import bench_database, close_connections, start_django

KEPT_DATABASE = "hikeshi_bench_pages"
PASSWORD = "bench-pages-passphrase-1"  # noqa: S105 (a throw-away benchmark user)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="hikeshi bench pages", description=__doc__)
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--orgs", type=int, default=6)
    parser.add_argument("--repeat", type=int, default=30, help="requests per page")
    parser.add_argument("--data-dir", help="keep the database here and reuse it (SQLite only)")
    parser.add_argument("--database-url", help="postgres://… server to create the benchmark database on")
    parser.add_argument(
        "--keep-database",
        action="store_true",
        help="PostgreSQL: keep the database (hikeshi_bench_pages) and reuse it on the next run",
    )
    parser.add_argument("--max-p95-ms", type=float, default=None, help="exit 1 if a page's p95 is above")
    args = parser.parse_args(argv)
    if min(args.posts, args.orgs, args.repeat) < 1:
        print("hikeshi bench pages: --posts, --orgs and --repeat must be positive", file=sys.stderr)
        return 2
    if args.database_url and urlsplit(args.database_url).scheme not in ("postgres", "postgresql"):
        print("hikeshi bench pages: --database-url must be postgres://…", file=sys.stderr)
        return 2
    if args.database_url and args.data_dir:
        print("hikeshi bench pages: --data-dir is for SQLite only", file=sys.stderr)
        return 2
    database = bench_database(args.database_url, keep_as=KEPT_DATABASE if args.keep_database else None)
    with tempfile.TemporaryDirectory(prefix="hikeshi-pages-") as temp, database as url:
        data_dir = args.data_dir or temp
        os.makedirs(data_dir, exist_ok=True)
        start_django(data_dir, url)
        try:
            return _run(args)
        finally:
            close_connections()


def _setup(args: argparse.Namespace) -> tuple[Any, Any]:
    """The organisations, rules, sources and the member (reused when the database already has them)."""
    from hikeshi.accounts.models import User
    from hikeshi.monitoring.actions import do_add_watch_rule
    from hikeshi.monitoring.bench_data import ORG_NAMES
    from hikeshi.monitoring.models import Source, WatchRule
    from hikeshi.tenancy.models import Membership, Organization, Role

    member = User.objects.filter(email="member@bench.example").first()
    if member is not None:
        return Organization.objects.get(slug="bench-0"), member
    orgs = []
    for index in range(args.orgs):
        org = Organization.objects.create(slug=f"bench-{index}", name=f"{ORG_NAMES[index % len(ORG_NAMES)]}")
        name = ORG_NAMES[index % len(ORG_NAMES)]
        for suffix in ("", " 商品", " 店舗"):
            do_add_watch_rule(org, name=f"{name}{suffix}", terms=[{"name": name, "variants": []}])
        for number, (kind, label) in enumerate(
            [("rss", "ニュース RSS"), ("page", "5ch スレ"), ("page", "まとめブログ"), ("push", "クローラ")]
        ):
            Source.objects.create(
                organization=org,
                kind=kind,
                name=label,
                url=f"https://src{number}.example/{index}" if kind != "push" else "",
            )
        orgs.append(org)
    member = User.objects.create_user("member@bench.example", PASSWORD)
    Membership.objects.create(user=member, organization=orgs[0], role=Role.ORG_MEMBER)
    assert WatchRule.objects.count() == 3 * args.orgs
    return orgs[0], member


def _generate(args: argparse.Namespace, org: Any, member: Any) -> None:
    from django.db import connection
    from django.utils import timezone

    from hikeshi.monitoring.bench_data import generate
    from hikeshi.monitoring.models import Post, PostFeedback, SeriesState, Source, WatchRule
    from hikeshi.tenancy.models import Organization

    if Post.objects.exists():
        print(f"reusing the database in {os.environ['HIKESHI_DATA_DIR']}: {Post.objects.count():,} posts")
        return
    orgs = list(Organization.objects.filter(slug__startswith="bench-").order_by("slug"))
    org_ids = [o.pk for o in orgs]
    rules = {
        o: list(WatchRule.objects.filter(organization_id=o).values_list("pk", flat=True)) for o in org_ids
    }
    sources = {
        o: list(Source.objects.filter(organization_id=o).values_list("pk", flat=True)) for o in org_ids
    }
    started = time.perf_counter()

    def progress(message: str) -> None:
        print(f"  {time.perf_counter() - started:6.1f} s  {message}", flush=True)

    made = generate(args.posts, org_ids, rules, sources, progress=progress)
    now = timezone.now()
    for index, rule in enumerate(rules[org.pk]):
        SeriesState.objects.create(
            organization=org,
            series=f"rule:{rule}",
            level=2 if index == 0 else 0,
            score=3.5 if index == 0 else 0.2,
            explanation="言及が通常の4倍に増えています" if index == 0 else "",
            assessed_at=now,
        )
    posts = list(
        Post.objects.filter(mentions__organization=org).order_by("-id").values_list("pk", flat=True)[:2000]
    )
    PostFeedback.objects.bulk_create(
        PostFeedback(organization=org, post_id=p, user=member, verdict="risky" if p % 3 else "not_risky")
        for p in posts
    )
    if connection.vendor == "postgresql":
        # What autovacuum does after a bulk load, done now so the planner sees the real table sizes.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(
        f"generated {made.posts:,} posts, {made.mentions:,} mentions, {made.topics:,} topics, "
        f"{made.buckets:,} series buckets, {len(posts):,} judgements in {time.perf_counter() - started:.1f} s"
    )


def _pages(org: Any) -> list[tuple[str, str]]:
    from django.utils import timezone

    from hikeshi.monitoring.bench_data import TEMPLATES
    from hikeshi.monitoring.models import Mention, Post, Source, Topic, WatchRule

    base = f"/o/{org.slug}/monitoring/"
    source = Source.objects.filter(organization=org).order_by("pk").first()
    rule = WatchRule.objects.filter(organization=org).order_by("pk").first()
    mentions = Mention.objects.filter(organization=org)
    recent = mentions.filter(posted_at__gte=timezone.now() - timedelta(days=1)).order_by("-risk").first()
    topic = Topic.objects.filter(organization=org).order_by("-post_count").first()
    assert source and rule and recent and topic, "the benchmark data is missing"
    rare_post = Post.objects.filter(text__contains="珍語").first()
    rare = re.search(r"珍語\d+", rare_post.text if rare_post else "")
    pages = [
        ("dashboard", base),
        ("feed", base + "posts/"),
        ("feed level=high", base + "posts/?level=high"),
        ("feed category", base + "posts/?category=safety_incident"),
        ("feed rare category", base + "posts/?category=customer_privacy"),
        ("feed empty category", base + "posts/?category=discrimination"),
        ("feed source", base + f"posts/?source={source.pk}"),
        ("feed rule", base + f"posts/?rule={rule.pk}"),
        ("feed period=24h", base + "posts/?period=24h"),
        ("feed search common", base + "posts/?q=" + "ビニール片"),
        ("feed search rare", base + "posts/?q=" + (rare.group(0) if rare else "珍語")),
        ("feed search + level", base + "posts/?q=" + "髪の毛&level=high"),
        ("feed search 2 chars", base + "posts/?q=" + "腹痛"),
    ]
    assert TEMPLATES
    pages += _paging_pages(base)
    pages += [
        ("post", base + f"posts/{recent.post_id}/"),
        ("topic (largest)", base + f"topics/{topic.pk}/"),
    ]
    return pages


def _paging_pages(base: str) -> list[tuple[str, str]]:
    """The second page (the key of the 50th newest mention) and a deep one (the 300,000th, or the
    middle of a smaller database), as the "older" links carry them."""
    from hikeshi.monitoring.models import Mention
    from hikeshi.monitoring.views_feed import encode_key

    org_slug = base.split("/")[2]
    mentions = Mention.objects.filter(organization__slug=org_slug).order_by("-posted_at", "-id")
    total = min(300_000, mentions.count() // 2)
    pages = []
    for name, offset in (("feed page 2", 49), ("feed deep page", total)):
        posted_at, mention_id = mentions.values_list("posted_at", "id")[offset]
        pages.append((name, base + "posts/?before=" + encode_key(posted_at, mention_id)))
    return pages


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _counting(queries: list[str]) -> Any:
    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        queries.append(sql)
        return execute(sql, params, many, context)

    return wrapper


def _run(args: argparse.Namespace) -> int:
    from django.db import connection
    from django.test import Client

    org, member = _setup(args)
    _generate(args, org, member)
    client = Client()
    client.force_login(member)
    client.get(f"/o/{org.slug}/monitoring/")  # a session's first request also writes the session
    worst = 0.0
    print(f"pages ({connection.vendor}), {args.repeat} requests each: p50 / p95 / max ms, queries")
    for name, url in _pages(org):
        queries: list[str] = []
        with connection.execute_wrapper(_counting(queries)):
            response = client.get(url)
        if response.status_code != 200:
            print(f"{name}: HTTP {response.status_code} for {url}", file=sys.stderr)
            return 1
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            client.get(url)
            times.append((time.perf_counter() - t0) * 1000)
        p95 = _percentile(times, 0.95)
        worst = max(worst, p95)
        print(
            f"  {name:22} {statistics.median(times):7.1f} {p95:7.1f} {max(times):7.1f}   "
            f"{len(queries):3d} queries"
        )
    if args.max_p95_ms is not None and worst > args.max_p95_ms:
        print(f"a page's p95 ({worst:.1f} ms) is above --max-p95-ms {args.max_p95_ms}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
