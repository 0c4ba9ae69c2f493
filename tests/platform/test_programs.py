"""The three programs' pages on top of the analysis engine, and untrusted text shown inert."""

from __future__ import annotations

import pytest
from django.test import Client

from hikeshi.prevention.models import CheckTally
from tests.platform.conftest import Tenant

pytestmark = pytest.mark.django_db

RISKY = "飲んだ後そのまま運転して帰ったｗ"


def test_pre_post_check_highlights_and_counts_anonymously(alpha: Tenant) -> None:
    client = Client()
    client.force_login(alpha.employee)
    response = client.post("/o/alpha/prevention/", {"text": RISKY}, headers={"HX-Request": "true"})
    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert "<mark" in body and "illegal_act" in body
    tally = CheckTally.objects.get(organization=alpha.org)
    assert tally.count == 1 and tally.level in {"medium", "high", "critical"}
    # The draft itself is stored nowhere.
    assert RISKY not in str(list(CheckTally.objects.values()))


def test_posts_are_escaped(alpha: Tenant) -> None:
    client = Client()
    client.force_login(alpha.member)
    hostile = '<script>alert(1)</script><img src="https://evil.example/x.png"> 飲酒運転した'
    body = client.post("/o/alpha/monitoring/", {"posts": hostile}).content.decode()
    assert "<script>alert(1)" not in body and '<img src="https://evil.example' not in body
    assert "&lt;script&gt;" in body


def test_monitoring_ranks_pasted_posts_by_risk(alpha: Tenant) -> None:
    client = Client()
    client.force_login(alpha.member)
    body = client.post("/o/alpha/monitoring/", {"posts": f"今日はいい天気\n{RISKY}"}).content.decode()
    body = body.split('id="results"', 1)[1]
    assert body.index("illegal_act") < body.index("今日はいい天気")


def test_api_analyze_returns_judgements(alpha: Tenant) -> None:
    client = Client()
    response = client.post(
        "/api/v1/orgs/alpha/analyze",
        data={"texts": [RISKY, "公式サイトで新商品を発表しました"]},
        content_type="application/json",
        headers={"Authorization": f"Bearer {alpha.token_secret}"},
    )
    assert response.status_code == 200
    first, second = response.json()
    assert any(c["code"] == "illegal_act" for c in first["categories"])
    assert second["level"] in {"none", "low"}


def test_incident_timeline_with_htmx(alpha: Tenant) -> None:
    client = Client()
    client.force_login(alpha.member)
    url = f"/o/alpha/response/incidents/{alpha.incident.pk}/update/"
    partial = client.post(url, {"text": "広報部長に報告"}, headers={"HX-Request": "true"}).content.decode()
    assert "広報部長に報告" in partial and "<html" not in partial
