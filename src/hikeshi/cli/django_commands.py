"""Run a Django management command as `hikeshi <command>`, with one-line errors."""

from __future__ import annotations

import os
import sys

from hikeshi.config import ConfigError, check_all

# Commands whose names are nicer with a hyphen on the command line.
ALIASES = {"check-config": "check_config"}


def check_config() -> int:
    problems = check_all()
    for line in problems:
        print(f"hikeshi check-config: {line}", file=sys.stderr)
    if problems:
        return 1
    print("hikeshi check-config: configuration OK")
    return 0


def run_django_command(args: list[str]) -> int:
    if args and args[0] == "check-config":
        return check_config()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hikeshi.core.settings")
    try:
        import django

        django.setup()
    except ConfigError as exc:
        print(f"hikeshi: configuration error: {exc} (run `hikeshi check-config`)", file=sys.stderr)
        return 2
    from django.core.management import execute_from_command_line

    if args:
        args = [ALIASES.get(args[0], args[0]), *args[1:]]
    try:
        execute_from_command_line(["hikeshi", *args])
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    return 0
