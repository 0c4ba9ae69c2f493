"""Prevention API: training courses, assignments and completion; survey runs and their aggregated results with
the anonymity threshold (per department and employment type, complementary groups included); admins only;
and photos up to HIKESHI_PHOTO_MAX_MB through the JSON check route, a larger one refused with the limit named."""

from __future__ import annotations

import base64
import io
import random
from datetime import date
from typing import Any

import pytest
from django.test import Client, override_settings
from PIL import Image

from hikeshi.api.actions import do_create_token
from hikeshi.prevention.models import Assignment, Attempt, Course, SurveyRun
from hikeshi.prevention.photos import max_photo_bytes
from hikeshi.prevention.survey_actions import do_create_run, do_send_run
from hikeshi.prevention.training_actions import do_assign, do_seed_courses, do_submit_attempt
from hikeshi.tenancy.models import Role
from tests.platform.conftest import Tenant
from tests.prevention.helpers import perfect_responses
from tests.prevention.test_check import TOKYO_STATION, _dms
from tests.prevention.test_survey import _respond_all, _staff

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


@pytest.fixture(autouse=True)
def _clean_slate(alpha: Tenant) -> None:
    Assignment.objects.all().delete()
    Attempt.objects.all().delete()
    SurveyRun.objects.all().delete()


def _get(tenant: Tenant, path: str, secret: str | None = None) -> Any:
    return Client().get(
        f"/api/v1/orgs/{tenant.org.slug}/prevention/{path}",
        headers={"Authorization": f"Bearer {secret or tenant.token_secret}"},
    )


def test_training_courses_assignments_and_completion(alpha: Tenant, beta: Tenant) -> None:
    Course.objects.filter(organization=beta.org).delete()
    assert len(_get(beta, "training/courses").json()) == 2  # seeded on first use, like the training page
    courses = do_seed_courses(alpha.org)
    employee_course = next(c for c in courses if c.content_id == "employee")
    _staff(alpha.org, "営業部", 2)
    assignment = do_assign(
        employee_course, target="department", department="営業部", due_date=date(2030, 1, 1)
    )
    everyone = do_assign(employee_course, target="all", due_date=date(2030, 1, 1))
    do_submit_attempt(employee_course, alpha.employee, perfect_responses(employee_course))

    listed = _get(alpha, "training/courses").json()
    assert {c["content_id"] for c in listed} == {"employee", "school"}
    assert next(c for c in listed if c["id"] == employee_course.pk)["max_attempts"] == 3

    rows = {a["id"]: a for a in _get(alpha, "training/assignments").json()}
    assert rows[assignment.pk]["target"] == "department" and rows[assignment.pk]["target_label"] == "営業部"
    assert (rows[assignment.pk]["enrolled"], rows[assignment.pk]["completed"]) == (2, 0)
    assert (rows[everyone.pk]["enrolled"], rows[everyone.pk]["completed"]) == (5, 1)

    completion = {r["department"]: r for r in _get(alpha, "training/completion").json()}
    assert completion["営業部"]["enrolled"] == 2 and completion["営業部"]["completed"] == 0
    assert completion["（部署なし）"] == {
        "course": employee_course.title,
        "department": "（部署なし）",
        "enrolled": 3,
        "completed": 1,
        "overdue": 0,
        "rate": 33,
    }


def test_survey_runs_and_anonymous_results_keep_the_threshold(alpha: Tenant) -> None:
    run = do_create_run(alpha.org, template_id="employee", anonymous=True, created_by=alpha.admin)
    full_time, part_time, contract = (
        _staff(alpha.org, "営業部", 6),
        _staff(alpha.org, "店舗A", 3),
        _staff(alpha.org, "店舗B", 2),
    )
    do_send_run(run)
    _respond_all(run, full_time[:4], employment_type="full_time")
    [listed] = _get(alpha, "surveys").json()
    assert (listed["id"], listed["anonymous"], listed["invited"], listed["answered"]) == (run.pk, True, 14, 4)
    results = _get(alpha, f"surveys/{run.pk}/results").json()
    assert results["suppressed"] and results["overall"] == [] and results["groups"] == []

    _respond_all(run, full_time[4:], employment_type="full_time")
    _respond_all(run, part_time, employment_type="part_time")
    results = _get(alpha, f"surveys/{run.pk}/results").json()
    # 3 part-timers are hidden, and so are the 6 full-timers: 全体 minus them would give the 3 away.
    assert not results["suppressed"] and results["respondents"] == 9 and results["groups"] == []
    assert results["hidden"] == {"department": 9, "employment_type": 9}
    assert sum(o["count"] for o in results["overall"][0]["options"]) >= 9

    _respond_all(run, contract, employment_type="contract")
    results = _get(alpha, f"surveys/{run.pk}/results").json()
    groups = {(g["dimension"], g["label"]): g["respondents"] for g in results["groups"]}
    # Hidden groups now hold 5 together: the 6 full-timers may be shown, per department and employment type.
    assert groups == {("department", "営業部"): 6, ("employment_type", "正社員・正職員"): 6}
    assert results["hidden"] == {"department": 5, "employment_type": 5}
    assert results["min_group"] == 5


def test_training_and_survey_routes_are_for_admins(alpha: Tenant, beta: Tenant) -> None:
    run = do_create_run(alpha.org, template_id="employee", anonymous=True, created_by=alpha.admin)
    _token, employee_secret = do_create_token(
        alpha.org, name="emp", role=Role.EMPLOYEE, created_by=alpha.admin
    )
    for path in ("training/assignments", "training/completion", "surveys", f"surveys/{run.pk}/results"):
        assert _get(alpha, path, employee_secret).status_code == 404, path
        assert _get(alpha, path).status_code == 200, path
    assert _get(alpha, "training/courses", employee_secret).status_code == 200
    # Another organisation's run through this organisation's slug: 404 (the isolation test covers the rest).
    other = do_create_run(beta.org, template_id="employee", anonymous=True, created_by=beta.admin)
    assert _get(alpha, f"surveys/{other.pk}/results").status_code == 404
    client = Client()
    client.force_login(alpha.employee)
    assert client.get("/api/v1/orgs/alpha/prevention/surveys").status_code == 404


def _png_of(size: int, *, gps: bool = True) -> bytes:
    """A real PNG of about ``size`` bytes (random pixels do not compress), with GPS in its EXIF."""
    side = int((size / 3) ** 0.5)
    pixels = random.Random(size).randbytes(side * side * 3)
    image = Image.frombytes("RGB", (side, side), pixels)
    exif = Image.Exif()
    exif[0x010F] = "hikeshi-test-camera"  # Pillow writes no EXIF that holds only the GPS block
    if gps:
        exif.get_ifd(0x8825).update({1: "N", 2: _dms(TOKYO_STATION[0]), 3: "E", 4: _dms(TOKYO_STATION[1])})
    out = io.BytesIO()
    image.save(out, "PNG", exif=exif, compress_level=1)
    return out.getvalue()


def _post_check(tenant: Tenant, body: dict[str, Any]) -> Any:
    return Client().post(
        f"/api/v1/orgs/{tenant.org.slug}/prevention/check",
        data=body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {tenant.token_secret}"},
    )


def test_api_accepts_a_photo_just_under_the_limit(alpha: Tenant, settings: Any) -> None:
    assert max_photo_bytes() == 10 * MB  # the documented default of HIKESHI_PHOTO_MAX_MB
    photo = _png_of(max_photo_bytes() - 256 * 1024)
    assert 9 * MB < len(photo) <= max_photo_bytes()
    body = {"text": "明日の新商品、先に見せちゃう", "photo_base64": base64.b64encode(photo).decode()}
    # The JSON body is larger than the site-wide DATA_UPLOAD_MAX_MEMORY_SIZE (which stays as it is).
    assert len(body["photo_base64"]) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    response = _post_check(alpha, body)
    assert response.status_code == 200, response.content[:300]
    result = response.json()
    assert result["photo"]["has_gps"] and result["photo"]["format"] == "PNG"
    assert result["judgement"] is not None


def test_api_refuses_a_larger_photo_with_the_limit_in_the_message(alpha: Tenant) -> None:
    # Just over the limit: the body still fits the route's allowance, the photo check refuses it.
    just_over = base64.b64encode(b"\x89PNG" + b"\0" * max_photo_bytes()).decode()
    response = _post_check(alpha, {"photo_base64": just_over})
    assert response.status_code == 413 and "10MB" in response.json()["detail"]
    # Far over: refused from its Content-Length before the body is read.
    far_over = base64.b64encode(b"\0" * (max_photo_bytes() + 2 * MB)).decode()
    response = _post_check(alpha, {"photo_base64": far_over})
    assert response.status_code == 413 and "10MB" in response.json()["detail"]


@override_settings(PHOTO_MAX_BYTES=2 * MB)
def test_the_limit_follows_the_setting(alpha: Tenant) -> None:
    photo = _png_of(3 * MB, gps=False)
    response = _post_check(alpha, {"photo_base64": base64.b64encode(photo).decode()})
    assert response.status_code == 413 and "2MB" in response.json()["detail"]


def test_the_check_page_takes_a_photo_up_to_the_limit_and_names_it_above(alpha: Tenant) -> None:
    client = Client()
    client.force_login(alpha.employee)
    photo = _png_of(max_photo_bytes() - 256 * 1024)
    body = client.post("/o/alpha/prevention/", {"text": "", "photo": io.BytesIO(photo)}).content.decode()
    assert 'data-testid="gps-warning"' in body and "緯度 35.68" in body
    too_big = io.BytesIO(b"\x89PNG" + b"\0" * max_photo_bytes())
    body = client.post("/o/alpha/prevention/", {"text": "", "photo": too_big}).content.decode()
    assert "写真は 10MB 以下にしてください。" in body
