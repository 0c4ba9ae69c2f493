"""The `hikeshi` command line.

Engine commands (analyze, check, detect, eval, bench) are dispatched to their
packages without setting up Django, so they start fast and work without a
database. Everything else runs as a Django management command.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Sequence

# command -> "module:function"; the function takes the remaining argv and returns an exit code.
ENGINE_COMMANDS: dict[str, str] = {
    "analyze": "hikeshi.analysis.cli:main_analyze",
    "check": "hikeshi.analysis.cli:main_check",
    "detect": "hikeshi.detection.cli:main_detect",
}

# `hikeshi eval [TARGET]` and `hikeshi bench TARGET`: TARGET -> "module:function".
EVAL_TARGETS: dict[str, str] = {
    "analysis": "hikeshi.analysis.evaluate:main",
    "detection": "hikeshi.detection.evaluate:main",
}
BENCH_TARGETS: dict[str, str] = {
    "analysis": "hikeshi.analysis.bench:main",
    "routing": "hikeshi.ingest.bench:main",
    "detection": "hikeshi.detection.bench:main",
    "pipeline": "hikeshi.monitoring.bench:main",
    "pages": "hikeshi.monitoring.bench_pages:main",
    "alert-latency": "hikeshi.alerts.bench:main",
}

EXIT_USAGE = 2


def _load(spec: str) -> Callable[[list[str]], int]:
    module_name, _, func_name = spec.partition(":")
    module = importlib.import_module(module_name)
    func: Callable[[list[str]], int] = getattr(module, func_name)
    return func


def _dispatch_target(kind: str, targets: dict[str, str], argv: list[str], default: str | None) -> int:
    if argv and not argv[0].startswith("-") and argv[0] in targets:
        target, rest = argv[0], argv[1:]
    elif default is not None and (not argv or argv[0].startswith("-")):
        target, rest = default, argv
    else:
        given = argv[0] if argv else ""
        names = ", ".join(sorted(targets))
        print(f"hikeshi {kind}: unknown target {given!r} (choose one of: {names})", file=sys.stderr)
        return EXIT_USAGE
    return _load(targets[target])(rest)


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    command = args[0] if args else ""
    try:
        if command in ENGINE_COMMANDS:
            return _load(ENGINE_COMMANDS[command])(args[1:])
        if command == "eval":
            return _dispatch_target("eval", EVAL_TARGETS, args[1:], default="analysis")
        if command == "bench":
            return _dispatch_target("bench", BENCH_TARGETS, args[1:], default=None)
        from hikeshi.cli.django_commands import run_django_command

        return run_django_command(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
