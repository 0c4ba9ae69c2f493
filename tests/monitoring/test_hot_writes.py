"""Migration 0013: the mention's organisation, rule, source and topic keys are kept by the application,
not by database constraints, and the post table has fewer indexes (docs/monitoring-throughput.md, "Ninth round")."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from hikeshi.monitoring import mentions, pipeline
from hikeshi.monitoring.actions import do_delete_rule
from hikeshi.monitoring.models import Mention, Post, WatchRule
from hikeshi.monitoring.pipeline import process_items
from tests.monitoring.helpers import NOW, item, sample_rule
from tests.platform.conftest import Tenant

pytestmark = pytest.mark.django_db

FEED = "push:hot-writes"


def _constraints(table: str) -> dict[str, dict[str, Any]]:
    with connection.cursor() as cursor:
        return connection.introspection.get_constraints(cursor, table)


def test_only_the_post_key_of_a_mention_is_a_database_constraint() -> None:
    keys = {
        tuple(info["columns"]): info["foreign_key"]
        for info in _constraints(Mention._meta.db_table).values()
        if info["foreign_key"]
    }
    assert keys == {("post_id",): ("monitoring_post", "id")}


def test_the_post_table_keeps_the_indexes_its_queries_use_and_no_other() -> None:
    indexed = {
        tuple(info["columns"])
        for info in _constraints(Post._meta.db_table).values()
        if info["index"] or info["unique"]
    }
    assert ("published_at",) not in indexed
    assert ("copy_of_id",) in indexed  # the partial index over the copies
    assert ("content_hash",) in indexed
    assert ("source_key", "source_id") in indexed


def test_a_rule_deleted_while_a_batch_is_routed_gets_no_mention(
    alpha: Tenant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The router of a running worker may still hold a rule that an operator has just deleted: the
    batch stores the other rules' mentions and none of the deleted rule (no orphan without the key)."""
    doomed = sample_rule(alpha.org, "さくら物産")
    kept = WatchRule.objects.get(organization=alpha.org, name="サンプル食品")
    planned = mentions.plan_mentions

    def plan_then_delete(*args: Any, **kwargs: Any) -> Any:
        plan = planned(*args, **kwargs)
        do_delete_rule(doomed)  # after routing, before the profile lock
        return plan

    # SQLite stores a batch's mentions in one transaction (create_mentions), PostgreSQL by groups
    monkeypatch.setattr(pipeline, "plan_mentions", plan_then_delete)
    monkeypatch.setattr(mentions, "plan_mentions", plan_then_delete)
    process_items([item("1", "サンプル食品とさくら物産の新商品")], source_key=FEED, now=NOW)
    stored = Mention.objects.filter(organization=alpha.org, post__source_id="1")
    assert list(stored.values_list("rule_id", flat=True)) == [kept.pk]
    assert not Mention.objects.filter(rule_id=doomed.pk).exists()


def test_deleting_a_rule_deletes_its_mentions_without_the_database_constraint(alpha: Tenant) -> None:
    doomed = sample_rule(alpha.org, "さくら物産")
    process_items([item("1", "さくら物産の新商品"), item("2", "さくら物産の弁当")], source_key=FEED, now=NOW)
    assert Mention.objects.filter(rule_id=doomed.pk).count() == 2
    do_delete_rule(doomed)
    assert not Mention.objects.filter(rule_id=doomed.pk).exists()
    assert Post.objects.filter(source_key=FEED).count() == 2  # the posts stay: they are the internet's
