"""Monitoring objects per tenant, so the isolation test covers every monitoring route."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hikeshi.monitoring.actions import do_add_source
from hikeshi.monitoring.models import DeadLetter, Mention, Post, Topic
from hikeshi.monitoring.pipeline import process_items
from tests.monitoring.helpers import item, sample_rule
from tests.platform.conftest import Tenant


def make_objects(tenant: Tenant) -> None:
    org = tenant.org
    tenant.extra["rule"] = sample_rule(org)
    tenant.extra["source"] = do_add_source(org, kind="rss", url=f"https://{org.slug}.example/feed.xml")
    process_items(
        [
            item(f"{org.slug}-1", f"サンプル食品の弁当に異物 {org.slug}", minutes_ago=3 * 24 * 60),
            item(f"{org.slug}-2", " "),
        ],
        source_key=f"push:{org.slug}",
        owner=org,
    )
    mention = Mention.objects.for_org(org).select_related("post").get()
    tenant.extra["post"] = mention.post
    tenant.extra["topic"] = Topic.objects.for_org(org).get()
    tenant.extra["dead_letter"] = DeadLetter.objects.for_org(org).get()
    assert Post.objects.filter(pk=mention.post_id).exists()


PARAMS: dict[str, Callable[[Tenant], Any]] = {
    "rule_id": lambda t: t.extra["rule"].pk,
    "source_id": lambda t: t.extra["source"].pk,
    "post_id": lambda t: t.extra["post"].pk,
    "topic_id": lambda t: t.extra["topic"].pk,
    "dead_letter_id": lambda t: t.extra["dead_letter"].pk,
}
