"""The Japanese text of alert messages: level, explanation, top posts, the alert page and the ack link."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

from django.conf import settings

from hikeshi.alerts.channels.base import Message
from hikeshi.alerts.links import ack_url, alert_url
from hikeshi.alerts.models import LEVEL_LABELS_JA, Alert

POSTS_IN_MESSAGE = 3
REASON_HEADINGS = {
    "raised": "新しいアラート",
    "level_up": "危険度が上がりました",
    "escalation": "未確認のためエスカレーション",
}


def _post_lines(alert: Alert) -> list[str]:
    lines = []
    for post in alert.first_posts[:POSTS_IN_MESSAGE]:
        if not isinstance(post, dict):
            continue
        when = str(post.get("posted_at", ""))[:16].replace("T", " ")
        lines.append(f"{when} {post.get('excerpt', '')}".strip())
    return lines


def alert_message(
    alert: Alert,
    *,
    reason: str,
    now: datetime,
    contact_id: int | None = None,
    contact_name: str = "",
) -> Message:
    label = LEVEL_LABELS_JA.get(alert.level, str(alert.level))
    subject = f"【{label}】{alert.title}"
    posts = _post_lines(alert)
    link = alert_url(alert)
    ack = ack_url(alert, now=now, contact_id=contact_id)
    lines = [f"{REASON_HEADINGS.get(reason, '通知')}: {alert.organization.name}"]
    if contact_name:
        lines.append(f"宛先: {contact_name} さん")
    lines.append(f"危険度: {alert.level} {label}")
    if alert.explanation:
        lines.append(f"状況: {alert.explanation}")
    if posts:
        lines.append("主な投稿:")
        lines.extend(f"・{line}" for line in posts)
    lines.append(f"アラート: {link}")
    if alert.url_path:
        lines.append(f"詳細: {settings.BASE_URL}{alert.url_path}")
    lines.append(f"確認する (対応を引き受ける): {ack}")
    lines.append("確認されるまで、エスカレーション先へ順に連絡します。")
    return Message(
        subject=subject,
        text="\n".join(lines),
        level=alert.level,
        level_label=label,
        title=alert.title,
        explanation=alert.explanation,
        posts=posts,
        alert_url=link,
        ack_url=ack,
        alert_id=alert.pk,
        story_key=alert.story_key,
        kind=reason,
    )


def channel_test_message(channel_name: str, organization_name: str) -> Message:
    text = f"hikeshi からのテスト送信です ({organization_name} / {channel_name})。このメッセージが届けば設定は正しく動いています。"
    return Message(subject="【テスト】hikeshi 通知チャンネルの確認", text=text, kind="test")


def digest_message(organization_name: str, alerts: Iterable[Alert], day: datetime, tz: str) -> Message:
    local_day = day.astimezone(ZoneInfo(tz)).strftime("%Y-%m-%d")
    items = list(alerts)
    lines = [f"{organization_name} の日次ダイジェスト ({local_day})", "通知の基準に届かなかった動き:"]
    for alert in items:
        label = LEVEL_LABELS_JA.get(alert.peak_level, str(alert.peak_level))
        lines.append(f"・[{label}] {alert.title} — {alert.explanation[:80]}")
        lines.append(f"  {alert_url(alert)}")
    return Message(
        subject=f"【日次ダイジェスト】{organization_name} {len(items)}件",
        text="\n".join(lines),
        posts=[a.title for a in items],
        kind="digest",
    )
