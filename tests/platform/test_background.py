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
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    from sqlalchemy.exc import IntegrityError

    from hikeshi.core.tasks import enqueue, record_heartbeat

    attempts: list[dict[str, Any]] = []
    race = IntegrityError(
        "INSERT INTO kombu_queue", {}, Exception("UNIQUE constraint failed: kombu_queue.name")
    )

    def publish(kwargs: dict[str, Any]) -> None:
        attempts.append(kwargs)
        if len(attempts) == 1:
            raise race  # the worker created the queue's row between our select and our insert

    original = record_heartbeat.apply_async
    record_heartbeat.apply_async = publish  # type: ignore[method-assign,assignment]
    try:
        with django_capture_on_commit_callbacks(execute=True):
            enqueue(record_heartbeat, source="x")
        assert attempts == [{"source": "x"}, {"source": "x"}]
        # Any other failure is not retried: it reaches the caller.
        record_heartbeat.apply_async = lambda kwargs: (_ for _ in ()).throw(ConnectionError("down"))  # type: ignore[method-assign,assignment]
        with pytest.raises(ConnectionError), django_capture_on_commit_callbacks(execute=True):
            enqueue(record_heartbeat, source="y")
    finally:
        record_heartbeat.apply_async = original  # type: ignore[method-assign]


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
