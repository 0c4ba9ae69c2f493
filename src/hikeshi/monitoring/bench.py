"""`hikeshi bench pipeline`: posts per second end to end (route, analyse, store, topics, series) into a
fresh SQLite database in a temporary data directory (embedded mode), on one process.

    python -m hikeshi.monitoring.bench --posts 20000 --orgs 100 --batch 500
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
    parser.add_argument("--min-rate", type=float, default=None, help="exit 1 below this many posts/s")
    parser.add_argument("--profile", metavar="FILE", help="write cProfile stats of the timed part to FILE")
    args = parser.parse_args(argv)
    if args.posts < 1 or args.orgs < 1 or args.batch < 1:
        print("hikeshi bench pipeline: --posts, --orgs and --batch must be positive", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="hikeshi-bench-") as data_dir:
        os.environ["HIKESHI_DATA_DIR"] = data_dir
        for name in ("HIKESHI_DATABASE_URL", "HIKESHI_BROKER_URL"):
            os.environ.pop(name, None)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hikeshi.core.settings")
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    from hikeshi.analysis import get_analyzer
    from hikeshi.ingest.items import Engagement, IngestedItem
    from hikeshi.monitoring.actions import do_add_watch_rule
    from hikeshi.monitoring.models import Mention, Post
    from hikeshi.monitoring.pipeline import process_items
    from hikeshi.tenancy.models import Organization

    rng = random.Random(7)
    names = []
    for index in range(args.orgs):
        org = Organization.objects.create(slug=f"bench-{index}", name=f"bench {index}")
        company = f"{COMPANIES[index % len(COMPANIES)]}{index // len(COMPANIES) or ''}"
        names.append(company)
        do_add_watch_rule(org, name=company, terms=[{"name": company, "variants": []}])
    get_analyzer().analyze(["warm up"])
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
    profiler = cProfile.Profile() if args.profile else None
    cpu0, wall0 = time.process_time(), time.perf_counter()
    if profiler is not None:
        profiler.enable()
    for offset in range(0, len(items), args.batch):
        chunk = items[offset : offset + args.batch]
        process_items(chunk, source_key="push:bench", now=chunk[-1].published)
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(args.profile)
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    rate = args.posts / cpu
    print(
        f"pipeline: {args.posts:,} posts, {args.orgs} organisations, batches of {args.batch}; "
        f"stored {Post.objects.count():,} posts and {Mention.objects.count():,} mentions"
    )
    print(
        f"cpu {cpu:.2f} s, wall {wall:.2f} s: {rate:,.0f} posts/s (cpu), {args.posts / wall:,.0f} posts/s (wall)"
    )
    if args.min_rate is not None and rate < args.min_rate:
        print(f"below --min-rate {args.min_rate:,.0f}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
