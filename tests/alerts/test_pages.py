"""Alert pages, the signed acknowledge link (valid, tampered, expired, other organisation) and settings pages."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from hikeshi.alerts.actions import do_raise_alert
from hikeshi.alerts.channel_actions import do_add_channel
from hikeshi.alerts.links import ExpiredAckLink, InvalidAckLink, make_ack_token, read_ack_token
from hikeshi.alerts.models import Alert, AlertStatus, Channel, EscalationContact, EventKind
from tests.alerts.fakeapi import FakeAPI
from tests.alerts.helpers import assessment
from tests.platform.conftest import Tenant


def _alert(tenant: Tenant, level: int = 2, story: str = "topic:42") -> Alert:
    # Keep the isolation fixtures' channel out of the way: it points at a host on the internet.
    Channel.objects.for_org(tenant.org).update(is_active=False)
    return do_raise_alert(
        tenant.org, story_key=story, assessment=assessment(level), title="<b>冷凍庫</b>の写真"
    )


def _client(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_list_escapes_titles_and_stays_within_a_few_queries(
    alpha: Tenant, django_assert_max_num_queries: Any
) -> None:
    for n in range(8):
        _alert(alpha, story=f"topic:{n}")
    client = _client(alpha.member)
    with django_assert_max_num_queries(12):
        response = client.get("/o/alpha/alerts/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "&lt;b&gt;冷凍庫&lt;/b&gt;" in html and "<b>冷凍庫</b>" not in html


def test_employees_do_not_see_alerts(alpha: Tenant) -> None:
    assert _client(alpha.employee).get("/o/alpha/alerts/").status_code == 404


def test_acknowledge_assign_and_snooze_from_the_page_with_htmx(alpha: Tenant) -> None:
    alert = _alert(alpha)
    client = _client(alpha.member)
    url = f"/o/alpha/alerts/{alert.pk}/action/"
    response = client.post(url, {"action": "ack"}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and "確認済み" in response.content.decode()
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ACKNOWLEDGED and alert.acknowledged_by == alpha.member
    client.post(url, {"action": "assign", "assignee": alpha.admin.pk})
    client.post(url, {"action": "snooze", "minutes": 60})
    alert.refresh_from_db()
    assert alert.assignee == alpha.admin and alert.snoozed_until is not None
    # Users outside the organisation cannot be assigned.
    client.post(url, {"action": "assign", "assignee": alpha.employee.pk})
    alert.refresh_from_db()
    assert alert.assignee == alpha.admin
    assert client.post(url, {"action": "explode"}).status_code == 400


def test_the_ack_link_confirms_on_get_and_acknowledges_on_post(alpha: Tenant) -> None:
    alert = _alert(alpha)
    token = make_ack_token(alert)
    client = _client(alpha.member)
    page = client.get(f"/o/alpha/alerts/ack/{token}/")
    assert page.status_code == 200 and "アラートを確認しますか" in page.content.decode()
    alert.refresh_from_db()
    assert (
        alert.status == AlertStatus.OPEN
    )  # GET never changes state (mail scanners and link previews fetch it)
    response = client.post(f"/o/alpha/alerts/ack/{token}/")
    assert response.status_code == 302
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ACKNOWLEDGED and alert.acknowledged_by == alpha.member
    assert alert.events.filter(kind=EventKind.ACKNOWLEDGED, detail__contains="リンク").exists()


def test_a_tampered_link_is_refused(alpha: Tenant) -> None:
    alert = _alert(alpha)
    token = make_ack_token(alert)
    tampered = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    with pytest.raises(InvalidAckLink):
        read_ack_token(tampered)
    client = _client(alpha.member)
    assert client.post(f"/o/alpha/alerts/ack/{tampered}/").status_code == 404
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN


def test_an_expired_link_is_refused(alpha: Tenant) -> None:
    alert = _alert(alpha)
    old = make_ack_token(alert, now=timezone.now() - timedelta(days=4))
    with pytest.raises(ExpiredAckLink):
        read_ack_token(old)
    assert read_ack_token(old, now=timezone.now() - timedelta(days=3, hours=23)).alert_id == alert.pk
    response = _client(alpha.member).post(f"/o/alpha/alerts/ack/{old}/")
    assert response.status_code == 410 and "有効期限" in response.content.decode()
    alert.refresh_from_db()
    assert alert.status == AlertStatus.OPEN


def test_a_link_of_one_organisation_does_not_work_in_another(alpha: Tenant, beta: Tenant) -> None:
    token = make_ack_token(_alert(beta))
    assert _client(alpha.admin).post(f"/o/alpha/alerts/ack/{token}/").status_code == 404
    assert _client(alpha.admin).post(f"/o/beta/alerts/ack/{token}/").status_code == 404


def test_channels_page_masks_secrets_and_adds_channels(alpha: Tenant) -> None:
    do_add_channel(
        alpha.org, name="LINE", kind="line", config={"token": "line-token-abcdefgh-9876", "to": "U1"}
    )
    client = _client(alpha.admin)
    html = client.get("/o/alpha/alerts/channels/").content.decode()
    assert "line-token-abcdefgh-9876" not in html and "••••9876" in html
    response = client.post(
        "/o/alpha/alerts/channels/", {"name": "広報", "kind": "chatwork", "token": "cw", "room": "12"}
    )
    assert response.status_code == 302
    assert Channel.objects.for_org(alpha.org).filter(kind="chatwork", config__room="12").exists()
    bad = client.post(
        "/o/alpha/alerts/channels/", {"name": "x", "kind": "chatwork", "token": "cw", "room": "general"}
    )
    assert bad.status_code == 200 and "numeric room" in bad.content.decode()
    assert _client(alpha.member).get("/o/alpha/alerts/channels/").status_code == 404


def test_send_test_from_the_channels_page(alpha: Tenant, fake_api: FakeAPI) -> None:
    channel = do_add_channel(alpha.org, name="Discord", kind="discord", config={"url": fake_api.url("/d")})
    response = _client(alpha.admin).post(f"/o/alpha/alerts/channels/{channel.pk}/test/", follow=True)
    assert "テスト送信しました" in response.content.decode()
    assert fake_api.requests[0].path == "/d"


def test_escalation_chain_editor(alpha: Tenant) -> None:
    channel = alpha.extra["alert_channel"]
    client = _client(alpha.admin)
    assert client.get("/o/alpha/settings/escalation/").status_code == 200
    response = client.post(
        "/o/alpha/settings/escalation/",
        {
            "form": "contact",
            "level": 3,
            "order": 2,
            "name": "広報部長",
            "channel": channel.pk,
            "wait_minutes": 20,
        },
    )
    assert response.status_code == 302
    contact = EscalationContact.objects.for_org(alpha.org).get(name="広報部長")
    settings_response = client.post(
        "/o/alpha/settings/escalation/",
        {"form": "settings", "quiet_start": "21:00", "quiet_end": "", "digest_enabled": "on"},
    )
    assert "両方" in settings_response.content.decode()
    client.post(f"/o/alpha/settings/escalation/{contact.pk}/delete/")
    assert not EscalationContact.objects.filter(pk=contact.pk).exists()


def test_a_channel_of_another_organisation_cannot_join_the_chain(alpha: Tenant, beta: Tenant) -> None:
    response = _client(alpha.admin).post(
        "/o/alpha/settings/escalation/",
        {
            "form": "contact",
            "level": 2,
            "order": 1,
            "name": "x",
            "channel": beta.extra["alert_channel"].pk,
            "wait_minutes": 5,
        },
    )
    assert response.status_code == 200
    assert not EscalationContact.objects.for_org(alpha.org).filter(name="x").exists()


def test_rules_editor_adds_disables_and_deletes_rules(alpha: Tenant, beta: Tenant) -> None:
    from hikeshi.alerts.models import AlertRule

    channel = alpha.extra["alert_channel"]
    client = _client(alpha.admin)
    assert "警戒以上をすべてのチャンネルへ" in client.get("/o/alpha/alerts/rules/").content.decode()
    response = client.post(
        "/o/alpha/alerts/rules/",
        {
            "name": "漏えいは即時",
            "min_level": 1,
            "categories_text": "leak、customer_privacy",
            "channels": [channel.pk],
        },
    )
    assert response.status_code == 302
    rule = AlertRule.objects.for_org(alpha.org).get(name="漏えいは即時")
    assert rule.categories == ["leak", "customer_privacy"] and list(rule.channels.all()) == [channel]
    nowhere = client.post("/o/alpha/alerts/rules/", {"name": "x", "min_level": 2})
    assert nowhere.status_code == 200 and "チャンネルを選ぶ" in nowhere.content.decode()
    foreign = client.post(
        "/o/alpha/alerts/rules/", {"name": "y", "min_level": 2, "channels": [beta.extra["alert_channel"].pk]}
    )
    assert foreign.status_code == 200 and not AlertRule.objects.filter(name="y").exists()
    client.post(f"/o/alpha/alerts/rules/{rule.pk}/update/", {"action": "disable"})
    rule.refresh_from_db()
    assert rule.is_active is False
    client.post(f"/o/alpha/alerts/rules/{rule.pk}/update/", {"action": "delete"})
    assert not AlertRule.objects.filter(pk=rule.pk).exists()
    assert _client(alpha.member).get("/o/alpha/alerts/rules/").status_code == 404
