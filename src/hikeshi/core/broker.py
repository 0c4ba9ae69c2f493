"""The embedded broker (kombu's SQLAlchemy transport over SQLite under HIKESHI_DATA_DIR).

kombu creates the broker's tables and each queue's row lazily, on a process's first use, with
check-then-create steps that are not atomic across processes. When `hikeshi web` and `hikeshi worker`
start together on a fresh data directory, both do it at once and one of them fails ("table already exists",
or a unique-constraint error on the queue's row) — in the web process that is a failed request. Preparing
both once, at migrate time, before any of those processes start, leaves nothing for them to race over.
"""

from __future__ import annotations

from typing import Any, cast


def is_embedded(broker_url: str) -> bool:
    return broker_url.startswith("sqla+")


PREPARE_ATTEMPTS = 3


def prepare_embedded_broker(**_signal_kwargs: Any) -> None:
    """Create the embedded broker's tables and the task queue (idempotent; nothing for Redis/RabbitMQ).

    Two migrations of one data directory at the same time (two test processes sharing it, an operator
    who runs ``hikeshi migrate`` while ``make run`` starts) race in kombu's own check-then-create; the
    loser sees "already exists" or a unique-constraint error, and a second attempt finds what the
    winner made."""
    from hikeshi.core.celery import app

    if not is_embedded(str(app.conf.broker_url)):
        return
    from sqlalchemy.exc import IntegrityError, OperationalError

    for attempt in range(1, PREPARE_ATTEMPTS + 1):
        try:
            with app.connection_for_write() as connection:
                channel = cast(
                    Any, connection.default_channel
                )  # kombu's virtual channel; its stub lacks this
                channel.queue_declare(queue=app.conf.task_default_queue)
            return
        except (IntegrityError, OperationalError):
            if attempt == PREPARE_ATTEMPTS:
                raise
