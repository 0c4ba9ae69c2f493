"""Writes for the SNS-usage survey: create a run from a template, send each member a personal link (only the
token's hash is stored), and record a response, anonymous or named as the run says."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from hikeshi.accounts.models import User
from hikeshi.prevention.content import SURVEY_IDS, Survey, load_survey
from hikeshi.prevention.models import (
    Reminder,
    SurveyEmploymentType,
    SurveyInvite,
    SurveyResponse,
    SurveyRun,
)
from hikeshi.tenancy.actions import hash_token
from hikeshi.tenancy.models import Membership, Organization

MAX_TEXT_ANSWER = 2000

# Reminders: the first one this long after the link was sent, then at most once per interval, at most
# MAX_REMINDERS per invite, and never after the run is closed.
REMINDER_GRACE = timedelta(days=3)
REMINDER_INTERVAL = timedelta(days=7)
MAX_REMINDERS = 3

# The membership's employment type → the survey's (finer) answer to preselect. 契約・派遣 is left out:
# the survey asks contract and dispatched staff apart, and only the member knows which they are.
PRESELECTED_SURVEY_TYPE = {
    "full_time": SurveyEmploymentType.FULL_TIME,
    "part_time": SurveyEmploymentType.PART_TIME,
    "student": SurveyEmploymentType.STUDENT,
    "offer_holder": SurveyEmploymentType.JOB_OFFER,
    "other": SurveyEmploymentType.OTHER,
}


def survey_content(run: SurveyRun) -> Survey:
    return load_survey(run.template_id)


@transaction.atomic
def do_create_run(
    organization: Organization, *, template_id: str, anonymous: bool, title: str = "", created_by: User | None
) -> SurveyRun:
    if template_id not in SURVEY_IDS:
        raise ValidationError(f"未知の調査票「{template_id}」です。")
    return SurveyRun.objects.create(
        organization=organization,
        template_id=template_id,
        title=title.strip() or load_survey(template_id).title,
        anonymous=anonymous,
        created_by=created_by,
    )


def respond_url(run: SurveyRun, token: str) -> str:
    return settings.BASE_URL + reverse("prevention:survey_respond", args=[run.organization.slug, token])


def answer_url(run: SurveyRun) -> str:
    """The member's own page for a run they were invited to (works without the token, after login)."""
    return settings.BASE_URL + reverse("prevention:survey_answer", args=[run.organization.slug, run.pk])


@transaction.atomic
def do_send_run(run: SurveyRun) -> int:
    """E-mail a personal link to every active member not invited yet (sending again reaches only newcomers);
    returns how many were invited. Mails leave after commit, so a rolled-back send leaves no working link."""
    if run.closed_at is not None:
        raise ValidationError("締め切った調査は送信できません。")
    invited = set(SurveyInvite.objects.filter(run=run).values_list("user_id", flat=True))
    members = (
        Membership.objects.filter(organization=run.organization, user__is_active=True)
        .exclude(user_id__in=invited)
        .select_related("user")
    )
    mode = "無記名" if run.anonymous else "記名"
    count = 0
    now = timezone.now()
    for membership in members:
        token = secrets.token_urlsafe(32)
        SurveyInvite.objects.create(
            organization=run.organization,
            run=run,
            user=membership.user,
            token_hash=hash_token(token),
            invited_at=now,
        )
        body = (
            f"{run.organization.name} から「{run.title}」へのご協力のお願いです（{mode}の調査です）。\n\n"
            f"次のあなた専用のリンクから回答してください（他の人に転送しないでください）:\n"
            f"{respond_url(run, token)}\n"
        )
        transaction.on_commit(
            partial(send_mail, f"[hikeshi] {run.title}", body, None, [membership.user.email])
        )
        count += 1
    if run.sent_at is None:
        run.sent_at = now
        run.save(update_fields=["sent_at"])
    return count


@transaction.atomic
def do_close_run(run: SurveyRun) -> SurveyRun:
    run.closed_at = run.closed_at or timezone.now()
    run.save(update_fields=["closed_at"])
    return run


def pending_invites(organization: Organization, user: User) -> list[SurveyInvite]:
    """The member's invitations to runs still open that they have not answered yet."""
    return list(
        SurveyInvite.objects.for_org(organization)
        .filter(user=user, responded=False, run__closed_at__isnull=True)
        .select_related("run")
        .order_by("run__sent_at", "pk")
    )


def preselected_employment_type(organization: Organization, user: User) -> str:
    membership = Membership.objects.filter(organization=organization, user=user).first()
    if membership is None:
        return ""
    return str(PRESELECTED_SURVEY_TYPE.get(membership.employment_type, ""))


def find_invite(organization: Organization, token: str, user: User) -> SurveyInvite | None:
    """The link works only for the member it was sent to, in its own organisation."""
    invite: SurveyInvite | None = (
        SurveyInvite.objects.for_org(organization)
        .select_related("run")
        .filter(token_hash=hash_token(token), user=user)
        .first()
    )
    return invite


def parse_answers(survey: Survey, data: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Form data (``a_<question id>``) → typed answers, and a Japanese error per question that needs one."""
    answers: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for q in survey.questions:
        field = f"a_{q.id}"
        option_ids = {o.id for o in q.options}
        if q.type == "multi":
            raw = data.getlist(field) if hasattr(data, "getlist") else data.get(field) or []
            values = sorted({str(v) for v in raw})
            if any(v not in option_ids for v in values):
                errors[q.id] = "選択肢にない値です。"
            elif values:
                answers[q.id] = values
        elif q.type == "single":
            value = str(data.get(field) or "")
            if value and value not in option_ids:
                errors[q.id] = "選択肢にない値です。"
            elif value:
                answers[q.id] = value
        elif q.type == "scale":
            value = str(data.get(field) or "")
            assert q.scale is not None
            if value:
                if not value.lstrip("-").isdigit() or not q.scale[0] <= int(value) <= q.scale[1]:
                    errors[q.id] = f"{q.scale[0]}〜{q.scale[1]}の中から選んでください。"
                else:
                    answers[q.id] = int(value)
        else:
            text = str(data.get(field) or "").strip()
            if len(text) > MAX_TEXT_ANSWER:
                errors[q.id] = f"{MAX_TEXT_ANSWER}文字以内で書いてください。"
            elif text:
                answers[q.id] = text
        if q.required and q.id not in answers and q.id not in errors:
            errors[q.id] = "この設問に答えてください。"
    return answers, errors


@transaction.atomic
def do_submit_response(
    invite: SurveyInvite, answers: Mapping[str, Any], *, employment_type: str
) -> SurveyResponse:
    """Store a response once per link. In anonymous mode it keeps no link to the person, only their department
    and employment type (for the grouped results) and the day; the invite remembers only that it was used."""
    invite = SurveyInvite.objects.select_for_update().select_related("run").get(pk=invite.pk)
    run = invite.run
    if run.closed_at is not None:
        raise ValidationError("この調査は締め切られました。")
    if invite.responded:
        raise ValidationError("この調査には回答済みです。ご協力ありがとうございました。")
    if employment_type not in SurveyEmploymentType.values:
        raise ValidationError("雇用形態・立場を選んでください。")
    membership = Membership.objects.filter(organization=run.organization, user=invite.user).first()
    response = SurveyResponse.objects.create(
        organization=run.organization,
        run=run,
        respondent=None if run.anonymous else invite.user,
        department=membership.department if membership else "",
        employment_type=employment_type,
        answers=dict(answers),
        submitted_on=timezone.localdate(),
    )
    invite.responded = True
    invite.save(update_fields=["responded"])
    return response


def send_survey_reminders(now: datetime) -> int:
    """E-mail members who have not answered an open run they were invited to; returns the number sent.

    Idempotent for the periodic task (at-least-once): one reminder per invite per REMINDER_INTERVAL, counted in
    ``Reminder`` rows (subject ``survey:<invite id>``), at most MAX_REMINDERS in all. The mail links to the
    member's answer page, not the personal token (only its hash is kept)."""
    invites = (
        SurveyInvite.objects.filter(
            responded=False,
            run__closed_at__isnull=True,
            run__sent_at__isnull=False,
            user__is_active=True,
        )
        .select_related("run", "run__organization", "user")
        .order_by("pk")
    )
    sent = 0
    for invite in invites:
        invited_at = invite.invited_at or invite.run.sent_at
        assert invited_at is not None
        if invited_at > now - REMINDER_GRACE:
            continue
        subject = f"survey:{invite.pk}"
        earlier = list(
            Reminder.objects.filter(subject=subject, user=invite.user).values_list("sent_at", flat=True)
        )
        if len(earlier) >= MAX_REMINDERS or any(at > now - REMINDER_INTERVAL for at in earlier):
            continue
        run = invite.run
        with transaction.atomic():
            Reminder.objects.create(
                organization=run.organization, subject=subject, user=invite.user, sent_at=now
            )
            body = (
                f"{run.organization.name} の「{run.title}」にまだ回答していません。"
                f"（{'無記名' if run.anonymous else '記名'}の調査です）\n\n"
                f"次のページから回答してください（ログインが必要です）:\n{answer_url(run)}\n"
            )
            send_mail(f"[hikeshi] {run.title}（回答のお願い）", body, None, [invite.user.email])
        sent += 1
    return sent
