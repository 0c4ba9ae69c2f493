"""Background work on a real Celery engine: a task enqueued by one process is executed by a
separately started `hikeshi worker` — through the embedded SQLite broker, and, where the services
run (CI), through Redis and RabbitMQ with PostgreSQL as the database."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from hikeshi.core.periodic import PERIODIC_JOBS, beat_schedule

REQUIRED = os.environ.get("SCALEOUT_TESTS_REQUIRED") == "1"


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HIKESHI_")}
    env.update({"HIKESHI_DATA_DIR": str(data_dir), **extra})
    return env


def _cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hikeshi.cli", *args], env=env, capture_output=True, text=True, timeout=180
    )


def _enqueue_and_wait(env: dict[str, str]) -> None:
    marker = f"test-{uuid.uuid4().hex[:12]}"
    enqueue = (
        "from hikeshi.core.tasks import record_heartbeat; "
        f"record_heartbeat.apply_async(kwargs={{'source': '{marker}'}})"
    )
    assert _cli(["shell", "-c", enqueue], env).returncode == 0
    check = f"from hikeshi.core.models import Heartbeat; print(Heartbeat.objects.filter(source='{marker}').exists())"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if _cli(["shell", "-v", "0", "-c", check], env).stdout.strip() == "True":
            return
        time.sleep(1)
    pytest.fail("the worker did not execute the task within 60 s")


@pytest.fixture
def worker() -> Iterator[Callable[[dict[str, str]], subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []

    def start(env: dict[str, str]) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(
            [sys.executable, "-m", "hikeshi.cli", "worker", "--concurrency", "1"],
            env=env,
            stdout=open(Path(env["HIKESHI_DATA_DIR"]) / "worker.log", "wb"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
        )
        started.append(proc)
        return proc

    yield start
    for proc in started:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_periodic_jobs_form_one_valid_schedule() -> None:
    schedule = beat_schedule()
    assert set(schedule) == {job.name for job in PERIODIC_JOBS}
    from hikeshi.core.celery import app

    app.loader.import_default_modules()
    for job in PERIODIC_JOBS:
        assert job.task in app.tasks, f"{job.name}: task {job.task} is not registered"
        assert job.why, f"{job.name}: say why it runs"


@pytest.mark.django_db
def test_tasks_are_queued_only_after_commit(django_capture_on_commit_callbacks: Callable[..., Any]) -> None:
    from hikeshi.core.tasks import enqueue, record_heartbeat

    sent: list[dict[str, Any]] = []
    original = record_heartbeat.apply_async
    record_heartbeat.apply_async = lambda kwargs: sent.append(kwargs)  # type: ignore[method-assign,assignment]
    try:
        with django_capture_on_commit_callbacks(execute=True):
            enqueue(record_heartbeat, source="x")
            assert sent == []  # nothing leaves before the commit
        assert sent == [{"source": "x"}]
        with pytest.raises(TypeError, match="JSON"):
            enqueue(record_heartbeat, source=object())
    finally:
        record_heartbeat.apply_async = original  # type: ignore[method-assign]


@pytest.mark.django_db
def test_publishing_survives_losing_the_embedded_brokers_queue_creation_race(
    django_capture_on_commit_callbacks: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    """kombu's SQLAlchemy transport creates a queue's row with look-up-then-insert. When a worker inserts it
    between the web process's look-up and insert, the web process gets a unique-constraint error and its
    broker session is left unusable; the publish must still go out, and so must the next ones."""
    from kombu import Connection
    from kombu.transport.sqlalchemy import Channel

    from hikeshi.core.celery import app
    from hikeshi.core.tasks import enqueue, record_heartbeat

    broker = app.conf.broker_url
    assert broker.startswith("sqla+sqlite:"), broker
    queue = record_heartbeat.app.conf.task_default_queue
    with Connection(broker) as other:  # the "worker": the queue's row exists before our insert
        other.default_channel.queue_declare(queue)
    real = Channel._get_or_create
    raced: list[str] = []

    def lookup_misses_once(channel: Any, name: str) -> Any:
        if raced:
            return real(channel, name)
        raced.append(name)
        session, query = channel.session, channel.session.query

        class Missed:
            def filter(self, *args: Any) -> Missed:
                return self

            def first(self) -> None:
                return None

        session.query = lambda *args: Missed()  # our look-ups ran before the other process's insert
        try:
            return real(channel, name)
        finally:
            session.query = query

    monkeypatch.setattr(Channel, "_get_or_create", lookup_misses_once)
    with django_capture_on_commit_callbacks(execute=True):
        enqueue(record_heartbeat, source="first")
    with django_capture_on_commit_callbacks(execute=True):
        enqueue(record_heartbeat, source="second")
    assert raced == [queue]
    with Connection(broker) as reader:
        bodies = []
        simple = reader.SimpleQueue(queue)
        while True:
            try:
                message = simple.get(block=False)
            except simple.Empty:
                break
            bodies.append(message.payload)
            message.ack()
    sources = [body[1]["source"] if isinstance(body, list) else None for body in bodies]
    assert sources.count("first") == 1 and sources.count("second") == 1, bodies


@pytest.mark.slow
def test_embedded_broker_runs_a_task_in_a_separate_worker(tmp_path: Path, worker: Any) -> None:
    env = _env(tmp_path)
    assert _cli(["migrate", "--verbosity", "0"], env).returncode == 0
    worker(env)
    _enqueue_and_wait(env)


def _service_or_skip(var: str) -> str:
    url = os.environ.get(var, "")
    if not url:
        if REQUIRED:
            pytest.fail(f"{var} is not set but SCALEOUT_TESTS_REQUIRED=1")
        pytest.skip(f"{var} not set: no PostgreSQL/Redis/RabbitMQ here (CI sets it in .ci/run)")
    return url


@pytest.fixture
def postgres_url() -> Iterator[str]:
    base = _service_or_skip("SCALEOUT_POSTGRES_URL")
    import psycopg

    name = f"hikeshi_scaleout_{uuid.uuid4().hex[:8]}"
    try:
        admin = psycopg.connect(base, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        if REQUIRED:
            raise
        pytest.skip(f"PostgreSQL not reachable at {base}: {exc}")
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield base.rsplit("/", 1)[0] + "/" + name
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.mark.scaleout
@pytest.mark.slow
@pytest.mark.parametrize("broker_var", ["SCALEOUT_REDIS_URL", "SCALEOUT_AMQP_URL"])
def test_postgres_and_server_broker(tmp_path: Path, worker: Any, postgres_url: str, broker_var: str) -> None:
    broker = _service_or_skip(broker_var)
    env = _env(tmp_path, HIKESHI_DATABASE_URL=postgres_url, HIKESHI_BROKER_URL=broker)
    migrated = _cli(["migrate", "--verbosity", "0"], env)
    assert migrated.returncode == 0, migrated.stderr
    worker(env)
    _enqueue_and_wait(env)


def test_migrate_prepares_the_embedded_broker(tmp_path: Path) -> None:
    """Tables and the task queue exist before web and workers start, so they have nothing to race over."""
    import sqlite3

    from tests.platform.test_cli import run

    assert run(["migrate", "--verbosity", "0"], tmp_path).returncode == 0
    with sqlite3.connect(tmp_path / "broker.sqlite3") as broker:
        assert broker.execute("SELECT name FROM kombu_queue").fetchall() == [("celery",)]
    assert run(["migrate", "--verbosity", "0"], tmp_path).returncode == 0  # idempotent


def test_preparing_the_embedded_broker_survives_a_concurrent_migrate(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two migrations of one data directory at once (two test processes, or ``hikeshi migrate`` while
    ``make run`` starts): kombu's check-then-create loses to the other process with "table already
    exists"; the second attempt finds the tables and the queue."""
    from kombu.transport import sqlalchemy as transport
    from sqlalchemy.exc import OperationalError

    from hikeshi.core.broker import prepare_embedded_broker

    monkeypatch.setattr(transport.Channel, "_engines", {})  # as in a process that has not opened it yet
    real = transport.metadata.create_all
    calls: list[str] = []

    def lose_the_race_once(engine: Any, **kwargs: Any) -> None:
        calls.append("create_all")
        real(engine, **kwargs)  # the other process created them first …
        if len(calls) == 1:  # … so this one's own CREATE TABLE failed
            raise OperationalError(
                "CREATE TABLE kombu_queue", {}, Exception("table kombu_queue already exists")
            )

    monkeypatch.setattr(transport.metadata, "create_all", lose_the_race_once)
    prepare_embedded_broker()
    assert calls == ["create_all", "create_all"]
