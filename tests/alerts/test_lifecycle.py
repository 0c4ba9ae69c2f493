"""One alert per story, announcements through rules, silences, snoozes, quiet hours and the default rules."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hikeshi.alerts.actions import do_acknowledge, do_raise_alert, do_resolve, do_silence, do_snooze
from hikeshi.alerts.channel_actions import do_add_channel
from hikeshi.alerts.defaults import DEFAULT_RULE_NAME
from hikeshi.alerts.models import (
    Alert,
    AlertEvent,
    AlertRule,
    AlertSettings,
    AlertStatus,
    Channel,
    EventKind,
    Notification,
    NotificationReason,
)
from hikeshi.alerts.sweeps import escalate_due
from hikeshi.tenancy.models import Organization
from tests.alerts.helpers import DAYTIME, assessment

NIGHT = DAYTIME.replace(hour=14)  # 23:00 JST


@pytest.fixture
def org(db: None) -> Organization:
    return Organization.objects.create(slug="sample", name="株式会社サンプル食品")


@pytest.fixture
def hook(org: Organization) -> Channel:
    return do_add_channel(
        org, name="広報 Slack", kind="slack", config={"url": "https://hooks.slack.com/services/T/B/c"}
    )


def _raise(org: Organization, level: int, *, story: str = "topic:7", **kwargs: object) -> Alert:
    kwargs.setdefault("now", DAYTIME)
    alert = do_raise_alert(org, story_key=story, assessment=assessment(level), title="冷凍庫の写真", **kwargs)  # type: ignore[arg-type]
    assert alert is not None
    return alert


def test_a_new_organisation_gets_working_defaults(org: Organization) -> None:
    (rule,) = AlertRule.objects.for_org(org)
    assert (rule.name, rule.min_level, rule.all_channels, rule.is_default) == (
        DEFAULT_RULE_NAME,
        2,
        True,
        True,
    )
    settings_row = AlertSettings.objects.get(organization=org)
    assert (settings_row.quiet_start.hour, settings_row.quiet_end.hour, settings_row.timezone) == (
        22,
        7,
        "Asia/Tokyo",
    )


def test_a_growing_story_is_one_alert_and_only_new_levels_notify(org: Organization, hook: Channel) -> None:
    first = _raise(org, 2)
    assert Notification.objects.filter(alert=first, reason=NotificationReason.RAISED).count() == 1
    for minute in range(1, 6):
        same = _raise(org, 2, now=DAYTIME + timedelta(minutes=minute))
        assert same.pk == first.pk
    assert Notification.objects.filter(alert=first).count() == 1
    grown = _raise(org, 3, now=DAYTIME + timedelta(minutes=10))
    assert grown.pk == first.pk and grown.update_count == 7 and grown.peak_level == 3
    level_up = Notification.objects.get(alert=first, reason=NotificationReason.LEVEL_UP)
    assert level_up.payload["subject"].startswith("【炎上】") and level_up.channel == hook
    # Falling back to 警戒 and rising to 炎上 again repeats nothing; only 大炎上 is new.
    _raise(org, 2, now=DAYTIME + timedelta(minutes=20))
    _raise(org, 3, now=DAYTIME + timedelta(minutes=30))
    assert Notification.objects.filter(alert=first).count() == 2
    _raise(org, 4, now=DAYTIME + timedelta(minutes=40))
    assert Notification.objects.filter(alert=first).count() == 3
    assert Alert.objects.for_org(org).count() == 1
    kinds = list(AlertEvent.objects.filter(alert=first).values_list("kind", flat=True))
    assert kinds.count(EventKind.RAISED) == 1 and kinds.count(EventKind.LEVEL_CHANGED) == 4


def test_the_message_is_japanese_with_explanation_posts_and_links(org: Organization, hook: Channel) -> None:
    alert = _raise(org, 3)
    payload = Notification.objects.get(alert=alert).payload
    assert payload["level_label"] == "炎上"
    assert "過去7日の同時刻平均の12倍" in payload["text"]
    assert "店員がお客の個人情報を投稿" in payload["text"]
    assert f"/o/sample/alerts/{alert.pk}/" in payload["alert_url"]
    assert "/o/sample/alerts/ack/" in payload["ack_url"] and payload["ack_url"] in payload["text"]


def test_stories_are_separate_and_resolved_stories_start_over(org: Organization, hook: Channel) -> None:
    a = _raise(org, 2, story="topic:1")
    b = _raise(org, 2, story="org-surge")
    assert a.pk != b.pk
    do_resolve(a, by=None, now=DAYTIME)
    again = _raise(org, 2, story="topic:1", now=DAYTIME + timedelta(hours=1))
    assert again.pk != a.pk and again.status == AlertStatus.OPEN


def test_a_story_continues_the_surge_it_turned_out_to_be(org: Organization, hook: Channel) -> None:
    surge = _raise(org, 2, story="org-surge")
    # Traced to its topic: the same alert (already announced, escalation running) takes the topic's key.
    topic = _raise(org, 2, story="topic:9", continues=("org-surge",), now=DAYTIME + timedelta(minutes=5))
    assert topic.pk == surge.pk and topic.story_key == "topic:9"
    assert Alert.objects.for_org(org).count() == 1
    assert Notification.objects.filter(alert=surge, reason=NotificationReason.RAISED).count() == 1
    assert AlertEvent.objects.filter(alert=surge, kind=EventKind.UPDATED).exists()
    # A second topic finds no open surge left to continue and opens its own alert.
    other = _raise(org, 2, story="topic:10", continues=("org-surge",), now=DAYTIME + timedelta(minutes=6))
    assert other.pk != surge.pk
    # A calm assessment continues nothing.
    _raise(org, 2, story="org-surge", now=DAYTIME + timedelta(minutes=7))
    assert (
        do_raise_alert(
            org,
            story_key="topic:11",
            assessment=assessment(0),
            title="-",
            continues=("org-surge",),
            now=DAYTIME,
        )
        is None
    )


def test_caution_is_recorded_but_not_announced_by_default(org: Organization, hook: Channel) -> None:
    alert = _raise(org, 1)
    assert alert.status == AlertStatus.OPEN and not Notification.objects.exists()


def test_level_zero_never_opens_an_alert_but_calms_an_open_one(org: Organization, hook: Channel) -> None:
    assert do_raise_alert(org, story_key="topic:7", assessment=assessment(0), title="t", now=DAYTIME) is None
    assert not Alert.objects.exists()
    _raise(org, 2)
    assert _raise(org, 0, now=DAYTIME + timedelta(minutes=5)).level == 0
    assert Alert.objects.count() == 1


def test_rules_filter_by_category_and_send_to_their_own_channels(org: Organization, hook: Channel) -> None:
    line = do_add_channel(org, name="役員 LINE", kind="line", config={"token": "t", "to": "U1"})
    AlertRule.objects.for_org(org).update(is_active=False)
    rule = AlertRule.objects.create(
        organization=org, name="情報漏えいは役員へ", min_level=1, categories=["leak"], all_channels=False
    )
    rule.channels.add(line)
    _raise(org, 1, story="topic:1", categories=["complaint"])
    assert not Notification.objects.exists()
    alert = _raise(org, 1, story="topic:2", categories=["leak"])
    assert list(Notification.objects.values_list("channel__name", flat=True)) == ["役員 LINE"]
    assert alert.notified_level == 1


def test_a_silence_mutes_up_to_its_level_until_it_expires(org: Organization, hook: Channel) -> None:
    do_silence(org, story_key="topic:7", max_level=2, hours=2, reason="告知済みの CM", by=None, now=DAYTIME)
    alert = _raise(org, 2)
    assert not Notification.objects.exists() and alert.pending_reason == "silenced"
    # The every-minute sweep does not repeat the history entry while the silence lasts.
    escalate_due(DAYTIME + timedelta(minutes=1))
    escalate_due(DAYTIME + timedelta(minutes=2))
    assert AlertEvent.objects.filter(alert=alert, kind=EventKind.SILENCED).count() == 1
    escalate_due(DAYTIME + timedelta(hours=2, minutes=1))
    assert Notification.objects.filter(alert=alert).count() == 1


def test_a_silence_does_not_hide_a_higher_level(org: Organization, hook: Channel) -> None:
    do_silence(org, story_key="", max_level=2, hours=24, by=None, now=DAYTIME)
    _raise(org, 2)
    assert not Notification.objects.exists()
    _raise(org, 3, now=DAYTIME + timedelta(minutes=5))
    assert Notification.objects.count() == 1


def test_snooze_holds_the_same_level_but_not_a_rise(org: Organization, hook: Channel) -> None:
    alert = _raise(org, 2)
    do_snooze(alert, minutes=60, by=None, now=DAYTIME)
    _raise(org, 2, now=DAYTIME + timedelta(minutes=5))
    assert Notification.objects.count() == 1
    _raise(org, 3, now=DAYTIME + timedelta(minutes=6))
    assert Notification.objects.count() == 2
    with pytest.raises(ValueError, match="snooze"):
        do_snooze(alert, minutes=0, by=None)


def test_quiet_hours_hold_warning_until_morning_but_let_firestorms_through(
    org: Organization, hook: Channel
) -> None:
    held = _raise(org, 2, story="topic:1", now=NIGHT)
    assert not Notification.objects.exists()
    morning = NIGHT + timedelta(hours=8)  # 07:00 JST
    assert held.held_until == morning
    escalate_due(morning - timedelta(minutes=1))
    assert not Notification.objects.exists()
    fire = _raise(org, 3, story="topic:2", now=NIGHT)
    assert Notification.objects.filter(alert=fire).count() == 1
    escalate_due(morning)
    assert Notification.objects.filter(alert=held).count() == 1
    assert AlertEvent.objects.filter(alert=held, kind=EventKind.HELD).count() == 1


def test_acknowledging_twice_is_harmless(org: Organization, hook: Channel) -> None:
    alert = _raise(org, 2)
    do_acknowledge(alert, by=None, now=DAYTIME)
    do_acknowledge(alert, by=None, now=DAYTIME + timedelta(minutes=1))
    assert AlertEvent.objects.filter(alert=alert, kind=EventKind.ACKNOWLEDGED).count() == 1


def test_the_daily_digest_lists_what_stayed_below_alert_level_once_a_day(
    org: Organization, hook: Channel
) -> None:
    from hikeshi.alerts.sweeps import send_daily_digest

    _raise(org, 1, story="topic:quiet", now=DAYTIME)
    _raise(org, 3, story="topic:loud", now=DAYTIME)
    assert send_daily_digest(DAYTIME.replace(hour=21)) == 0  # 06:00 JST: too early
    morning = DAYTIME + timedelta(hours=22)  # 08:00 JST the next day
    assert send_daily_digest(morning) == 1
    digest = Notification.objects.get(reason=NotificationReason.DIGEST)
    assert digest.channel == hook and digest.payload["subject"].startswith("【日次ダイジェスト】")
    assert digest.payload["posts"] == ["冷凍庫の写真"] and "[注意]" in digest.payload["text"]
    assert send_daily_digest(morning + timedelta(hours=1)) == 0
