"""Migration 0004 carries each organisation's JSON topic-index state into the member and band tables."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from hikeshi.monitoring import topics

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("monitoring", "0003_seriesstate_pending")]
AFTER = [("monitoring", "0004_topic_index_tables")]


def test_json_members_become_rows_with_band_keys() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    org = apps.get_model("tenancy", "Organization").objects.create(slug="mig", name="移行")
    post = apps.get_model("monitoring", "Post").objects.create(
        source_key="push:mig",
        source_id="1",
        text="異物混入の話",
        published_at=datetime(2026, 3, 1, tzinfo=UTC),
    )
    seen = datetime(2026, 3, 1, tzinfo=UTC)
    topic = apps.get_model("monitoring", "Topic").objects.create(
        organization=org, key="topic-abc", first_post=post, post_count=2, first_seen=seen, last_activity=seen
    )
    signature = [int(v) for v in topics._HASHER.signature("異物混入の話をしよう")]
    state = {
        "params": [64, 16, 3, 0.5, 12, 1],
        "topics": [],
        "members": [
            ["k-signed", "topic-abc", seen.isoformat(), signature],
            ["k-short", "topic-abc", seen.isoformat(), None],
            ["k-gone", "topic-pruned", seen.isoformat(), None],
        ],
    }
    apps.get_model("monitoring", "MonitoringProfile").objects.create(organization=org, topic_state=state)

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    apps = executor.loader.project_state(AFTER).apps
    members = apps.get_model("monitoring", "TopicMember").objects.filter(organization_id=org.pk)
    assert set(members.values_list("content_key", "topic_id")) == {
        ("k-signed", topic.pk),
        ("k-short", topic.pk),
    }
    signed = members.get(content_key="k-signed")
    assert np.array_equal(
        np.frombuffer(bytes(signed.signature), dtype=np.uint64), np.array(signature, np.uint64)
    )
    bands = apps.get_model("monitoring", "TopicBand").objects.filter(member_id=signed.pk)
    assert sorted(bands.values_list("band_key", flat=True)) == sorted(
        topics.band_keys(org.pk, np.array(signature, dtype=np.uint64))
    )

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_organisations_with_members_are_marked_as_having_band_rows() -> None:
    """Migration 0011: every member stored before it has its band rows, so organisations with members
    keep writing them (``MonitoringProfile.topic_bands``); the others start without."""
    before = [("monitoring", "0010_topic_member_band_mask")]
    after = [("monitoring", "0011_profile_topic_bands")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    apps = executor.loader.project_state(before).apps
    organization = apps.get_model("tenancy", "Organization")
    profile = apps.get_model("monitoring", "MonitoringProfile")
    indexed, empty = (organization.objects.create(slug=s, name=s) for s in ("indexed", "empty"))
    for org in (indexed, empty):
        profile.objects.create(organization=org)
    seen = datetime(2026, 3, 1, tzinfo=UTC)
    post = apps.get_model("monitoring", "Post").objects.create(
        source_key="push:indexed", source_id="1", text="異物混入の話", published_at=seen
    )
    topic = apps.get_model("monitoring", "Topic").objects.create(
        organization=indexed,
        key="topic-x",
        first_post=post,
        post_count=1,
        first_seen=seen,
        last_activity=seen,
    )
    apps.get_model("monitoring", "TopicMember").objects.create(
        organization=indexed, topic=topic, content_key="k", seen=seen, signature=None, band_mask=0
    )

    executor = MigrationExecutor(connection)
    executor.migrate(after)
    apps = executor.loader.project_state(after).apps
    marked = dict(
        apps.get_model("monitoring", "MonitoringProfile").objects.values_list(
            "organization_id", "topic_bands"
        )
    )
    assert marked[indexed.pk] is True and marked[empty.pk] is False

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
