"""投稿前チェック: judgement with highlights and the organisation's own guideline clause; photos with GPS are
flagged and a copy without metadata is offered; nothing is stored."""

from __future__ import annotations

import base64
import io

import pytest
from django.test import Client
from PIL import Image

from hikeshi.prevention.models import CheckTally
from hikeshi.prevention.photos import PhotoError, inspect_photo, max_photo_bytes
from tests.platform.conftest import Tenant
from tests.prevention.helpers import publish_all

pytestmark = pytest.mark.django_db

RISKY = "飲んだ後そのまま運転して帰ったｗ"
TOKYO_STATION = (35.681236, 139.767125)


def _dms(value: float) -> tuple[float, float, float]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    return (float(degrees), float(minutes), round((value - degrees - minutes / 60) * 3600, 4))


def photo_with_gps(fmt: str = "JPEG") -> bytes:
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "hikeshi-test-camera"  # Make
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: _dms(TOKYO_STATION[0]), 3: "E", 4: _dms(TOKYO_STATION[1])})
    out = io.BytesIO()
    image.save(out, fmt, exif=exif)
    return out.getvalue()


def test_gps_is_detected_and_stripped_copy_has_no_metadata(alpha: Tenant) -> None:
    original = photo_with_gps()
    report = inspect_photo(original)
    assert report.gps is not None
    assert report.gps[0] == pytest.approx(TOKYO_STATION[0], abs=1e-4)
    assert report.gps[1] == pytest.approx(TOKYO_STATION[1], abs=1e-4)
    client = Client()
    client.force_login(alpha.employee)
    response = client.post("/o/alpha/prevention/photo/strip/", {"photo": io.BytesIO(original)})
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert "attachment" in response["Content-Disposition"]
    cleaned = Image.open(io.BytesIO(response.content))
    assert cleaned.size == (64, 48)
    assert not cleaned.getexif() and not cleaned.getexif().get_ifd(0x8825)
    assert b"hikeshi-test-camera" not in response.content
    assert inspect_photo(response.content).gps is None


def test_png_with_gps_is_stripped_too(alpha: Tenant) -> None:
    client = Client()
    client.force_login(alpha.employee)
    png = photo_with_gps("PNG")
    assert inspect_photo(png).gps is not None
    response = client.post("/o/alpha/prevention/photo/strip/", {"photo": io.BytesIO(png)})
    assert response["Content-Type"] == "image/png" and inspect_photo(response.content).gps is None


def test_page_warns_about_gps_and_rejects_non_images(alpha: Tenant) -> None:
    client = Client()
    client.force_login(alpha.employee)
    photo = io.BytesIO(photo_with_gps())
    photo.name = "IMG_0001.jpg"
    body = client.post("/o/alpha/prevention/", {"text": "", "photo": photo}).content.decode()
    assert 'data-testid="gps-warning"' in body and "35.68" in body
    fake = io.BytesIO(b"%PDF-1.4 not a photo")
    fake.name = "photo.jpg"
    body = client.post("/o/alpha/prevention/", {"text": "", "photo": fake}).content.decode()
    assert "画像として読み取れませんでした" in body
    fake.seek(0)
    stripped = client.post("/o/alpha/prevention/photo/strip/", {"photo": fake})
    assert stripped.status_code == 400 and "画像として読み取れませんでした" in stripped.content.decode()
    # Neither draft nor photo left a trace; a photo-only check is not counted.
    assert not CheckTally.objects.exists()


def test_oversized_photo_is_refused() -> None:
    with pytest.raises(PhotoError, match="MB 以下"):
        inspect_photo(b"\xff" * (max_photo_bytes() + 1))


def test_check_cites_the_organisations_published_guideline(alpha: Tenant) -> None:
    guideline = publish_all(alpha.org, alpha.admin)["guideline"]
    lawful = next(c for c in guideline.clauses if c["key"] == "lawful_conduct")
    client = Client()
    client.force_login(alpha.employee)
    body = client.post(
        "/o/alpha/prevention/", {"text": RISKY}, headers={"HX-Request": "true"}
    ).content.decode()
    assert "<mark" in body and lawful["citation"] in body and lawful["heading"] in body
    assert lawful["citation"].startswith("ガイドライン第")


def test_no_citation_without_a_published_guideline(alpha: Tenant) -> None:
    client = Client()
    client.force_login(alpha.employee)
    body = client.post(
        "/o/alpha/prevention/", {"text": RISKY}, headers={"HX-Request": "true"}
    ).content.decode()
    assert "<mark" in body and 'data-testid="citations"' not in body


def test_api_check_with_photo(alpha: Tenant) -> None:
    guideline = publish_all(alpha.org, alpha.admin)["guideline"]
    lawful = next(c for c in guideline.clauses if c["key"] == "lawful_conduct")
    response = Client().post(
        "/api/v1/orgs/alpha/prevention/check",
        data={
            "text": RISKY,
            "photo_base64": base64.b64encode(photo_with_gps()).decode(),
            "strip_photo": True,
        },
        content_type="application/json",
        headers={"Authorization": f"Bearer {alpha.token_secret}"},
    )
    assert response.status_code == 200, response.content
    result = response.json()
    assert result["judgement"]["level"] in {"medium", "high", "critical"}
    assert any(s["code"] == "illegal_act" for s in result["segments"])
    assert {
        "category": "illegal_act",
        "citations": [lawful["citation"]],
        "headings": [lawful["heading"]],
    } in result["citations"]
    assert result["photo"]["has_gps"] and result["photo"]["latitude"] == pytest.approx(
        TOKYO_STATION[0], abs=1e-4
    )
    assert inspect_photo(base64.b64decode(result["photo"]["stripped_base64"])).gps is None


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({}, "text か photo_base64"),
        ({"photo_base64": "not base64!!"}, "Base64"),
        ({"photo_base64": base64.b64encode(b"GIF89a....").decode()}, "画像として読み取れません"),
    ],
)
def test_api_check_rejects_bad_input(alpha: Tenant, payload: dict[str, str], message: str) -> None:
    response = Client().post(
        "/api/v1/orgs/alpha/prevention/check",
        data=payload,
        content_type="application/json",
        headers={"Authorization": f"Bearer {alpha.token_secret}"},
    )
    assert response.status_code == 400 and message in response.json()["detail"]


def test_api_check_is_tenancy_checked(alpha: Tenant, beta: Tenant) -> None:
    response = Client().post(
        "/api/v1/orgs/beta/prevention/check",
        data={"text": RISKY},
        content_type="application/json",
        headers={"Authorization": f"Bearer {alpha.token_secret}"},
    )
    assert response.status_code == 404
    assert not CheckTally.objects.exists()
