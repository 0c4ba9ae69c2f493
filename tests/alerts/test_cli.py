"""`hikeshi channel add|test|list`, `hikeshi alerts`, `hikeshi ack`."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from hikeshi.alerts.actions import do_raise_alert
from hikeshi.alerts.models import AlertStatus, Channel
from hikeshi.tenancy.models import Organization
from tests.alerts.fakeapi import FakeAPI
from tests.alerts.helpers import DAYTIME, assessment


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def org(db: None) -> Organization:
    return Organization.objects.create(slug="sample", name="株式会社サンプル食品")


@pytest.mark.parametrize(
    ("args", "kind"),
    [
        (["email", "--to", "risk@example.com,pr@example.com"], "email"),
        (["slack", "--url", "https://hooks.slack.com/services/T/B/x"], "slack"),
        (["teams", "--url", "https://prod.westus.logic.azure.com/workflows/x"], "teams"),
        (["line", "--token", "tok", "--to", "U1"], "line"),
        (["chatwork", "--token", "tok", "--room", "42"], "chatwork"),
        (["discord", "--url", "https://discord.com/api/webhooks/1/x"], "discord"),
        (["webhook", "--url", "https://receiver.example.com/hook"], "webhook"),
    ],
)
def test_channel_add_every_kind(org: Organization, args: list[str], kind: str) -> None:
    output = run("channel", "add", "--org", "sample", *args)
    assert output.startswith("added channel")
    assert Channel.objects.for_org(org).get().kind == kind


def test_channel_add_reports_missing_options_on_one_line(org: Organization) -> None:
    with pytest.raises(CommandError, match="chatwork: missing room"):
        run("channel", "add", "--org", "sample", "chatwork", "--token", "t")
    with pytest.raises(CommandError, match="no organisation"):
        run("channel", "add", "--org", "nope", "slack", "--url", "https://hooks.slack.com/x")


def test_channel_test_and_list(org: Organization, fake_api: FakeAPI) -> None:
    run(
        "channel",
        "add",
        "--org",
        "sample",
        "webhook",
        "--url",
        fake_api.url("/r"),
        "--secret",
        "s" * 24,
        "--fallback",
    )
    channel = Channel.objects.for_org(org).get()
    assert "sent a test message" in run("channel", "test", str(channel.pk))
    assert fake_api.requests[0].path == "/r"
    (row,) = [json.loads(line) for line in run("channel", "list", "--org", "sample", "--json").splitlines()]
    assert row["fallback"] is True and row["config"]["secret"] == "••••ssss"
    with pytest.raises(CommandError, match="no channel with ID 999"):
        run("channel", "test", "999")
    with pytest.raises(CommandError, match="must be a number"):
        run("channel", "test", "abc")


def test_channel_test_fails_with_the_reason(org: Organization, fake_api: FakeAPI) -> None:
    from tests.alerts.fakeapi import Reply

    run("channel", "add", "--org", "sample", "slack", "--url", fake_api.url())
    fake_api.script(Reply(status=403, body=b"invalid_token"))
    with pytest.raises(CommandError, match="permanent_failure: HTTP 403"):
        run("channel", "test", str(Channel.objects.get().pk))


def test_alerts_list_and_ack(org: Organization) -> None:
    alert = do_raise_alert(
        org, story_key="org-surge", assessment=assessment(1), title="言及の急増", now=DAYTIME
    )
    (row,) = [json.loads(line) for line in run("alerts", "--org", "sample", "--json").splitlines()]
    assert (row["id"], row["level_label"], row["status"]) == (alert.pk, "注意", "open")
    assert "言及の急増" in run("alerts", "--org", "sample")
    assert run("ack", str(alert.pk)).startswith(f"acknowledged alert {alert.pk}")
    alert.refresh_from_db()
    assert alert.status == AlertStatus.ACKNOWLEDGED
    assert "already acknowledged" in run("ack", str(alert.pk))
    with pytest.raises(CommandError, match="no alert with ID"):
        run("ack", "424242")
