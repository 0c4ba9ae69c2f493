from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from hikeshi.accounts.models import User
from hikeshi.tenancy.actions import do_invite
from hikeshi.tenancy.models import Membership, Role
from tests.platform.conftest import PASSWORD, Tenant

pytestmark = pytest.mark.django_db


def _login(client: Client, email: str, password: str = PASSWORD, **extra: str) -> object:
    return client.post("/accounts/login/", {"email": email, "password": password, **extra})


@pytest.mark.argon2
def test_passwords_are_hashed_with_argon2() -> None:
    user = User.objects.create_user("a@example.com", PASSWORD)
    assert user.password.startswith("argon2")


def test_login_page_is_japanese(client: Client) -> None:
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    body = response.content.decode()
    assert '<html lang="ja">' in body and "ログイン" in body


def test_security_headers(client: Client) -> None:
    response = client.get("/accounts/login/")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_login_and_logout(alpha: Tenant) -> None:
    client = Client()
    response = _login(client, alpha.admin.email)
    assert response.status_code == 302  # type: ignore[attr-defined]
    assert client.get("/o/alpha/").status_code == 200
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/o/alpha/").status_code == 302


def test_login_is_throttled_after_repeated_failures(alpha: Tenant, settings: object) -> None:
    client = Client()
    for _ in range(5):
        assert _login(client, alpha.admin.email, "wrong-password").status_code == 400  # type: ignore[attr-defined]
    # Even the right password is refused while the lock lasts.
    response = _login(client, alpha.admin.email)
    assert response.status_code == 429  # type: ignore[attr-defined]
    assert "ロック" in response.content.decode()  # type: ignore[attr-defined]


def test_login_redirect_ignores_foreign_next(alpha: Tenant) -> None:
    client = Client()
    response = _login(client, alpha.admin.email, next="https://evil.example/")
    assert response["Location"] == "/"  # type: ignore[index]


def test_two_factor_setup_and_login(alpha: Tenant) -> None:
    client = Client()
    _login(client, alpha.member.email)
    page = client.get("/accounts/2fa/setup/")
    assert page.status_code == 200 and "<svg" in page.content.decode()
    device = TOTPDevice.objects.get(user=alpha.member)
    code = f"{totp(device.bin_key):06d}"
    assert client.post("/accounts/2fa/setup/", {"token": code}).status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    client.post("/accounts/logout/")

    # A password alone no longer logs in: the verify step is required.
    response = _login(client, alpha.member.email)
    assert response["Location"] == "/accounts/2fa/verify/"  # type: ignore[index]
    assert client.get("/o/alpha/").status_code == 302
    assert client.post("/accounts/2fa/verify/", {"token": "000000"}).status_code == 200
    device.refresh_from_db()
    device.last_t = -1  # allow the same time step again in this test
    device.throttling_failure_count = 0  # django-otp also slows down guessing after a failure
    device.throttling_failure_timestamp = None
    device.save()
    response = client.post("/accounts/2fa/verify/", {"token": f"{totp(device.bin_key):06d}"})
    assert response.status_code == 302
    assert client.get("/o/alpha/").status_code == 200


def test_organisation_can_make_two_factor_compulsory(alpha: Tenant) -> None:
    alpha.org.require_2fa = True
    alpha.org.save()
    client = Client()
    _login(client, alpha.member.email)
    response = client.get("/o/alpha/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/2fa/setup/")
    # Employees only use prevention features and are not forced.
    employee = Client()
    _login(employee, alpha.employee.email)
    assert employee.get("/o/alpha/").status_code == 200


def test_operator_can_make_two_factor_compulsory_for_staff(operator_admin: User, settings: object) -> None:
    settings.REQUIRE_2FA_STAFF = True  # type: ignore[attr-defined]
    client = Client()
    _login(client, operator_admin.email)
    response = client.get("/orgs/")
    assert response["Location"].startswith("/accounts/2fa/setup/")


def test_invitation_by_email_creates_membership(
    alpha: Tenant, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        issued = do_invite(alpha.org, "newcomer@example.com", role=Role.EMPLOYEE)
    assert len(mail.outbox) == 1 and issued.url in mail.outbox[0].body
    token = issued.url.rsplit("/invite/", 1)[1].strip("/")
    client = Client()
    page = client.get(f"/accounts/invite/{token}/")
    assert page.status_code == 200
    response = client.post(
        f"/accounts/invite/{token}/",
        {"display_name": "新人", "password1": "a-long-passphrase-42", "password2": "a-long-passphrase-42"},
    )
    assert response.status_code == 302
    user = User.objects.get(email="newcomer@example.com")
    assert Membership.objects.get(user=user, organization=alpha.org).role == Role.EMPLOYEE
    # The link works once.
    assert Client().get(f"/accounts/invite/{token}/").status_code == 404


def test_password_reset_sends_a_working_link(alpha: Tenant) -> None:
    mail.outbox.clear()
    client = Client()
    client.post("/accounts/password/reset/", {"email": alpha.member.email})
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/accounts/password/reset/\S+)", mail.outbox[0].body)
    assert link
    response = client.get(link.group(1), follow=True)
    assert response.status_code == 200
    form_url = response.redirect_chain[-1][0]
    done = client.post(
        form_url, {"new_password1": "another-passphrase-77", "new_password2": "another-passphrase-77"}
    )
    assert done.status_code == 302
    assert Client().login(username=alpha.member.email, password="another-passphrase-77")


def test_employee_sees_only_prevention(alpha: Tenant) -> None:
    client = Client()
    client.force_login(alpha.employee)
    assert client.get("/o/alpha/prevention/").status_code == 200
    for path in ("/o/alpha/monitoring/", "/o/alpha/response/", "/o/alpha/members/", "/o/alpha/audit/"):
        assert client.get(path).status_code == 404, path
    home = client.get("/o/alpha/").content.decode()
    assert "/o/alpha/monitoring/" not in home


def test_analyst_sees_only_assigned_organisations(analyst: User, alpha: Tenant, beta: Tenant) -> None:
    client = Client()
    client.force_login(analyst)
    assert client.get("/o/alpha/").status_code == 200
    assert client.get("/o/beta/").status_code == 404
    orgs = client.get("/orgs/").content.decode()
    assert alpha.org.name in orgs and beta.org.name not in orgs


def test_operator_switches_between_organisations(operator_admin: User, alpha: Tenant, beta: Tenant) -> None:
    client = Client()
    client.force_login(operator_admin)
    response = client.get("/orgs/switch/", {"org": "beta"})
    assert response["Location"] == "/o/beta/"
    page = client.get("/o/beta/").content.decode()
    assert beta.org.name in page and 'value="alpha"' in page
    assert client.get("/")["Location"] == "/o/beta/"
