from __future__ import annotations

import pytest
from django.test import Client

from hikeshi.monitoring.demo import seed_monitoring_demo
from hikeshi.monitoring.models import Mention, SeriesState, Topic
from hikeshi.tenancy.models import Membership, Organization, Role
from tests.platform.conftest import Tenant

pytestmark = pytest.mark.django_db


def test_demo_week_tells_the_foreign_object_story(alpha: Tenant) -> None:
    org = Organization.objects.create(slug="sample-foods", name="株式会社サンプル食品")
    count = seed_monitoring_demo(org)
    assert count > 250
    story = Topic.objects.for_org(org).order_by("-post_count").first()
    assert story is not None and story.post_count >= 40
    assert "ビニール片" in story.first_post.text
    assert story.level >= 2, story.explanation
    rule_levels = dict(SeriesState.objects.for_org(org).values_list("series", "level"))
    assert max(rule_levels.values()) >= 2
    from hikeshi.alerts.models import Alert

    alerts = Alert.objects.filter(organization=org, story_key__startswith="monitoring:")
    assert alerts.exists()  # the story reached the alerts app through do_raise_alert
    # One story, one alert: the rules' surges and the story's topic all end in the topic's alert, and the
    # reactions that reply to the story (「これはひどい。サンプル食品もう買わない」) grow its topic, not one of their own.
    story_alert = alerts.get(story_key=f"monitoring:topic:{story.pk}")
    assert list(alerts) == [story_alert], [(a.story_key, a.title) for a in alerts]
    replies = Mention.objects.for_org(org).exclude(post__reply_to="")
    # 29 reactions name the company, 8 (「拡散します」, 「公式の説明待ち」 …) name nobody and follow the story
    assert len({m.post_id for m in replies}) == 37  # two rules may each mention a post
    assert set(replies.values_list("topic_id", flat=True)) == {story.pk}
    assert seed_monitoring_demo(org) == count  # idempotent
    Membership.objects.create(user=alpha.member, organization=org, role=Role.ORG_MEMBER)
    client = Client()
    client.force_login(alpha.member)
    body = client.get("/o/sample-foods/monitoring/").content.decode()
    assert "ビニール片" in body and "bar-negative" in body
    assert Mention.objects.for_org(org).filter(categories__icontains="safety_incident").exists()
