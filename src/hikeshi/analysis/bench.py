"""`hikeshi bench analysis`: posts per second on one core (batch and one at a time), p99 latency, peak RSS."""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from collections.abc import Sequence
from typing import Any

# A firehose is mostly harmless chatter with the odd spark; the mix below keeps about that proportion.
SAMPLE_POSTS: tuple[str, ...] = (
    "今日はいい天気だから散歩してきた",
    "新しいカフェのパンケーキ美味しかった😋",
    "明日から出張、準備しなきゃ",
    "電車が遅れてて会議に間に合うか微妙",
    "週末は友達とキャンプ行ってきました！楽しかった〜",
    "このアニメの最終回、泣いたｗｗｗ",
    "ｷﾀ━━━━(ﾟ∀ﾟ)━━━━!! 推しの新曲やばい",
    "#新商品 公式サイトで新商品を発表しました。ぜひご覧ください https://example.com/news",
    "@friend_01 また今度ご飯行こう",
    "20歳になったので初めてのビール🍺",
    "飲酒運転撲滅キャンペーンに参加しました",
    "子供の運動会、みんな頑張ってた",
    "駅前のラーメン屋、行列すごかったけど並ぶ価値あり",
    "レポート締め切り前で徹夜確定…",
    "猫が膝の上で寝てて動けない",
    "セール で 服 買いすぎた 笑",
    "うちの店長、毎日怒鳴ってばっか",
    "買ったばかりのイヤホン、片方もう聞こえない",
    "売り物のアイスなめてから戻したｗ",
    "さっきの会計、俳優の○○さんだった",
    "来週発表の新型、社内でもう見たけど価格は…",
    "飲んだ後そのまま運転して帰った",
    "弁当にビニール片が入ってた",
    "○○社の工場で事故があったらしい、拡散希望",
    "今日の会議、資料が多すぎて大変だった。明日は在宅でゆっくり作業する予定です。夕飯はカレーにしようかな",
    "ﾊﾞｲﾄ終わった〜ｗ 疲れたけど給料日だから許す",
    "図書館で勉強してたら隣の人のいびきがすごくて草",
    "雨の日は髪がまとまらなくて困る",
)


def _load_posts(path: str | None) -> list[str]:
    if path is None:
        return list(SAMPLE_POSTS)
    posts: list[str] = []
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            record = json.loads(line)
            if not isinstance(record, dict) or not isinstance(record.get("text"), str):
                raise ValueError(f'{path}: line {number}: expected a JSON object with a "text" string')
            posts.append(record["text"])
    if not posts:
        raise ValueError(f"{path}: no posts")
    return posts


def _peak_rss_mb() -> float:
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def measure(analyzer: Any, posts: Sequence[str], n: int, batch_size: int) -> dict[str, float]:
    """Throughput and latency in CPU time of this thread (what one core delivers, even on a shared machine),
    with wall-clock figures alongside."""
    corpus = [posts[i % len(posts)] for i in range(n)]
    analyzer.analyze(corpus[: min(len(corpus), 200)])  # warm caches and lazy imports
    cpu0, wall0 = time.thread_time(), time.perf_counter()
    for offset in range(0, n, batch_size):
        analyzer.analyze(corpus[offset : offset + batch_size])
    batch_cpu, batch_wall = time.thread_time() - cpu0, time.perf_counter() - wall0
    single_n = max(1, n // 4)
    cpu_latencies: list[float] = []
    wall_latencies: list[float] = []
    for text in corpus[:single_n]:
        c0, w0 = time.thread_time(), time.perf_counter()
        analyzer.analyze_one(text)
        cpu_latencies.append(time.thread_time() - c0)
        wall_latencies.append(time.perf_counter() - w0)
    cpu_latencies.sort()
    wall_latencies.sort()
    p99 = min(single_n - 1, int(single_n * 0.99))
    return {
        "posts": float(n),
        "batch_posts_per_cpu_s": n / batch_cpu,
        "batch_posts_per_wall_s": n / batch_wall,
        "single_posts_per_cpu_s": single_n / sum(cpu_latencies),
        "p50_cpu_ms": cpu_latencies[single_n // 2] * 1000.0,
        "p99_cpu_ms": cpu_latencies[p99] * 1000.0,
        "p99_wall_ms": wall_latencies[p99] * 1000.0,
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="hikeshi bench analysis",
        description="Measure the analysis engine on one core: throughput in batches and one post at a time, "
        "p99 latency of one post, and peak resident memory. Runs with and without the statistical models.",
    )
    parser.add_argument("--n", type=int, default=20_000, help="posts per measurement (default 20000)")
    parser.add_argument("--batch-size", type=int, default=512, help="posts per analyze() call (default 512)")
    parser.add_argument(
        "--input", help='JSON Lines file of {"text": ...} posts (default: built-in sample posts)'
    )
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args(argv)
    if args.n < 10 or args.batch_size < 1:
        print("hikeshi bench analysis: --n must be at least 10 and --batch-size at least 1", file=sys.stderr)
        return 2
    # One core: numerical libraries must not spread the model's work over other cores.
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(variable, "1")
    try:
        posts = _load_posts(args.input)
    except (OSError, ValueError) as exc:
        print(f"hikeshi bench analysis: {exc}", file=sys.stderr)
        return 2
    from hikeshi.analysis.analyzer import Analyzer

    rss_before = _peak_rss_mb()
    t0 = time.perf_counter()
    with_models = Analyzer()
    load_seconds = time.perf_counter() - t0
    results: dict[str, Any] = {
        "status": with_models.status(),
        "load_s": round(load_seconds, 3),
        "rss_before_load_mb": round(rss_before, 1),
    }
    runs: list[tuple[str, Any]] = [("rules_only", Analyzer(use_models=False))]
    if with_models.models_loaded:
        runs.append(("with_models", with_models))
    for name, analyzer in runs:
        figures = measure(analyzer, posts, args.n, args.batch_size)
        results[name] = {key: round(value, 3) for key, value in figures.items()}
    results["peak_rss_mb"] = round(_peak_rss_mb(), 1)
    if args.json:
        print(json.dumps(results, ensure_ascii=False))
        return 0
    print(f"model: {results['status']['model']}; tokenizer {results['status']['tokenizer']}")
    print(f"load: {results['load_s']:.2f} s")
    for name, _ in runs:
        figures = results[name]
        print(
            f"{name}: batch {figures['batch_posts_per_cpu_s']:,.0f} posts/s "
            f"(wall {figures['batch_posts_per_wall_s']:,.0f}), one at a time "
            f"{figures['single_posts_per_cpu_s']:,.0f} posts/s, p50 {figures['p50_cpu_ms']:.3f} ms, "
            f"p99 {figures['p99_cpu_ms']:.3f} ms (wall {figures['p99_wall_ms']:.3f} ms), {int(figures['posts'])} posts"
        )
    print(f"peak RSS: {results['peak_rss_mb']:.1f} MB (posts/s and latencies in CPU time of one thread)")
    return 0
