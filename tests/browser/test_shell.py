"""A real headless Chromium walks through login, organisation switch and logout on a phone-sized screen."""

from __future__ import annotations

from typing import Any

import pytest

from hikeshi.accounts.models import OperatorRole, User
from hikeshi.tenancy.models import Organization
from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "browser-test-passphrase-1"


def test_login_switch_organisation_logout(live_server: Any, page: Any) -> None:
    User.objects.create_user("op@example.com", PASSWORD, operator_role=OperatorRole.ADMIN)
    Organization.objects.create(slug="sample-foods", name="株式会社サンプル食品")
    Organization.objects.create(slug="sakura-gakuen", name="さくら学園高等学校", kind="school")

    page.goto(f"{live_server.url}/")
    assert page.locator("h1").inner_text() == "ログイン"
    screenshot(page, "01-login")
    page.fill("input[name=email]", "op@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/orgs/")
    page.click('main a:has-text("株式会社サンプル食品")')
    page.wait_for_url(f"{live_server.url}/o/sample-foods/")
    assert page.get_by_test_id("org-name").inner_text() == "株式会社サンプル食品"
    screenshot(page, "02-org-home")

    # The switcher submits on change (app.js) and works without JavaScript through its button.
    page.select_option("#org-switch", "sakura-gakuen")
    page.wait_for_url(f"{live_server.url}/o/sakura-gakuen/")
    assert page.get_by_test_id("org-name").inner_text() == "さくら学園高等学校"
    screenshot(page, "03-switched")

    page.click(".usermenu summary")
    page.get_by_test_id("logout").click()
    page.wait_for_url(f"{live_server.url}/accounts/login/")
    assert "ログアウトしました" in page.content()
    screenshot(page, "04-logged-out")
    page.goto(f"{live_server.url}/o/sample-foods/")
    assert "/accounts/login/" in page.url
