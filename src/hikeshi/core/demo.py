"""Demo data: an operator, the demo client 「株式会社サンプル食品」 and a second client to switch to."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from hikeshi.accounts.models import OperatorRole, User
from hikeshi.audit.context import Actor, acting_as
from hikeshi.response.actions import do_add_timeline_entry, do_open_incident
from hikeshi.tenancy.models import Membership, Organization, Role

OPERATOR_EMAIL = "operator@example.com"
DEMO_ORG_SLUG = "sample-foods"
LOGIN_FILE = "demo-login.txt"


@dataclass(frozen=True)
class DemoLogin:
    url: str
    email: str
    password: str | None


def remembered_login() -> DemoLogin | None:
    path = settings.DATA_DIR / LOGIN_FILE
    if not path.exists() or not User.objects.filter(email=OPERATOR_EMAIL).exists():
        return None
    password = path.read_text().strip() or None
    return DemoLogin(url=settings.BASE_URL + "/", email=OPERATOR_EMAIL, password=password)


@transaction.atomic
def seed_demo() -> DemoLogin:
    password = os.environ.get("HIKESHI_DEMO_PASSWORD") or secrets.token_urlsafe(9)
    with acting_as(Actor(label="demo")):
        operator = User.objects.create_user(
            OPERATOR_EMAIL, password, display_name="運営 太郎", operator_role=OperatorRole.ADMIN
        )
        foods = Organization.objects.create(
            slug=DEMO_ORG_SLUG,
            name="株式会社サンプル食品",
            kind="company",
            industry="食品製造・販売",
            size="medium",
        )
        school = Organization.objects.create(
            slug="sakura-gakuen", name="さくら学園高等学校", kind="school", industry="教育", size="small"
        )
        admin = User.objects.create_user(
            "admin@sample-foods.example", secrets.token_urlsafe(16), display_name="広報 花子"
        )
        Membership.objects.create(user=admin, organization=foods, role=Role.ORG_ADMIN, department="広報部")
        teacher = User.objects.create_user(
            "kyoto@sakura-gakuen.example", secrets.token_urlsafe(16), display_name="教頭 一郎"
        )
        Membership.objects.create(user=teacher, organization=school, role=Role.ORG_ADMIN, department="教務")
        incident = do_open_incident(
            foods,
            title="弁当への異物混入の投稿",
            level=2,
            summary="X で「サンプル食品の弁当にビニール片が入っていた」という投稿が拡散中。製造ロットを確認中。",
            opened_by=operator,
        )
        do_add_timeline_entry(incident, text="品質保証部に製造ロットの確認を依頼。", author=operator)
        do_add_timeline_entry(
            incident, text="お客様相談室に問い合わせ対応の想定問答を共有。", author=operator
        )
    path = settings.DATA_DIR / LOGIN_FILE
    path.touch(mode=0o600)
    path.write_text(password if not os.environ.get("HIKESHI_DEMO_PASSWORD") else "")
    return DemoLogin(url=settings.BASE_URL + "/", email=OPERATOR_EMAIL, password=password)
