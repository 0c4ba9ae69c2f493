from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from hikeshi.monitoring.models import Mention, Source, WatchRule
from tests.platform.conftest import Tenant

pytestmark = pytest.mark.django_db


def test_watch_add_and_import_then_posts_json(
    alpha: Tenant, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command(
        "watch",
        "add",
        "--org",
        "alpha",
        "--term",
        "サンプル食品",
        "--variant",
        "さんぷる",
        "--exclude",
        "求人",
    )
    rule = WatchRule.objects.for_org(alpha.org).latest("id")
    assert rule.terms == [{"name": "サンプル食品", "variants": ["さんぷる"]}] and rule.exclusions == ["求人"]
    path = tmp_path / "export.csv"
    path.write_text(
        "id,text,author,created_at,reposts\n"
        "1,サンプル食品の弁当に髪の毛が入ってた,a,2026-03-10 09:00,12\n"
        "2,,b,2026-03-10 09:05,\n"
        "3,今日の天気,c,2026-03-10 09:10,\n",
        encoding="utf-8",
    )
    with pytest.raises(CommandError, match="rejected"):
        call_command("import", "--org", "alpha", str(path))
    err = capsys.readouterr().err
    assert "line 3" in err and "text" in err
    imported = Mention.objects.for_org(alpha.org).filter(post__source_key__startswith="file:")
    assert (
        imported.values("post").distinct().count() == 2
    )  # imported posts belong to the importer, matched by a rule or not
    call_command("posts", "--org", "alpha", "--json", "--since", "2026-03-10T09:01:00+09:00")
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["source_id"] for line in lines] == ["3"]
    assert lines[0]["judgement"]["level"] in {"none", "low"}


def test_cli_errors_are_one_line(alpha: Tenant) -> None:
    with pytest.raises(CommandError, match="no organisation 'nope'"):
        call_command("watch", "add", "--org", "nope", "--term", "x")
    with pytest.raises(CommandError, match="too short"):
        call_command("watch", "add", "--org", "alpha", "--term", "x")
    with pytest.raises(CommandError, match="not an http"):
        call_command("source", "add", "--org", "alpha", "rss", "file:///etc/passwd")
    with pytest.raises(CommandError, match="timezone"):
        call_command("posts", "--org", "alpha", "--json", "--since", "2026-03-10T09:00")
    call_command("source", "add", "--org", "alpha", "rss", "https://news.example/feed.xml")
    assert Source.objects.for_org(alpha.org).filter(url="https://news.example/feed.xml", kind="rss").exists()


def test_push_endpoint_reports_each_item(alpha: Tenant, beta: Tenant) -> None:
    client = Client()
    headers = {"Authorization": f"Bearer {alpha.token_secret}"}
    body = {
        "source": "crawler",
        "posts": [
            {"id": "p1", "text": "サンプル食品の店員さんが親切だった", "likes": 3},
            {"id": "p2", "text": "", "likes": 3},
            {"id": "p3", "text": "ok", "url": "javascript:alert(1)"},
        ],
    }
    response = client.post("/api/v1/ingest", data=body, content_type="application/json", headers=headers)
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["accepted"], data["duplicates"], data["errors"]) == (1, 0, 2)
    assert [i["status"] for i in data["items"]] == ["accepted", "error", "error"]
    again = client.post("/api/v1/ingest", data=body, content_type="application/json", headers=headers).json()
    assert (again["accepted"], again["duplicates"]) == (0, 1)
    pushed = Mention.objects.filter(post__source_key__startswith="push:")
    assert pushed.filter(organization=alpha.org, post__source_id="p1").count() == 1
    assert not pushed.filter(organization=beta.org, post__source_id="p1").exists()
    session = Client()
    session.force_login(alpha.admin)
    assert session.post("/api/v1/ingest", data=body, content_type="application/json").status_code == 400
    assert (
        session.post("/api/v1/orgs/beta/ingest", data=body, content_type="application/json").status_code
        == 404
    )
