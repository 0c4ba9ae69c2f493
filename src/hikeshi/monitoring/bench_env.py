"""What the monitoring benchmarks share: a database to run in and Django started on it.

The benchmarks are CLI commands (`hikeshi bench pipeline|pages`) that run outside any configured
deployment, so they set the HIKESHI_* variables for themselves before Django reads them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit, urlunsplit


@contextmanager
def bench_database(server_url: str | None, *, keep_as: str | None = None) -> Iterator[str | None]:
    """A PostgreSQL database on the server of ``server_url`` (None: embedded SQLite, nothing to do).

    Throw-away by default (dropped afterwards); with ``keep_as`` that database is created if missing
    and left in place, so a long data generation can be reused by the next run."""
    if not server_url:
        yield None
        return
    import psycopg

    name = keep_as or f"hikeshi_bench_{os.getpid()}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists is None:
            admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunsplit(urlsplit(server_url)._replace(path="/" + name))
    finally:
        if keep_as is None:
            with psycopg.connect(server_url, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def start_django(data_dir: str, database_url: str | None) -> None:
    """Point hikeshi at ``data_dir`` (and ``database_url`` when given), start Django and migrate."""
    os.environ["HIKESHI_DATA_DIR"] = data_dir
    os.environ.pop("HIKESHI_BROKER_URL", None)
    os.environ.pop("HIKESHI_DEBUG", None)
    if database_url:
        os.environ["HIKESHI_DATABASE_URL"] = database_url
    else:
        os.environ.pop("HIKESHI_DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hikeshi.core.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def close_connections() -> None:
    from django.db import connections

    connections.close_all()


def local_server_cpu(database_url: str | None) -> float | None:
    """CPU seconds used so far by the PostgreSQL server's processes when it runs on this machine (Linux
    ``/proc``): the live processes' own times plus what the postmaster has collected from backends that
    exited. None for SQLite, a remote server or no ``/proc``. Other clients of the same server count
    too: compare two readings taken around a run on an otherwise quiet server."""
    if not database_url or urlsplit(database_url).hostname not in ("127.0.0.1", "localhost", "::1"):
        return None
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    found = False
    try:
        pids = [name for name in os.listdir("/proc") if name.isdigit()]
    except OSError:
        return None
    for pid in pids:
        try:
            with open(f"/proc/{pid}/comm") as comm:
                if comm.read().strip() != "postgres":
                    continue
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # exited meanwhile
        found = True
        user, system, children_user, children_system = (int(value) for value in fields[11:15])
        total += user + system
        parent = fields[1]
        try:
            with open(f"/proc/{parent}/comm") as comm:
                is_postmaster = comm.read().strip() != "postgres"
        except OSError:
            is_postmaster = False
        if is_postmaster:  # the backends and workers it reaped
            total += children_user + children_system
    return total / tick if found else None
