"""What a new organisation gets without configuring anything.

- One rule: 警戒 (2) and above go to every channel the organisation adds. 注意 (1) is shown on the alerts
  page and in the daily digest, so a single odd post does not wake anyone.
- Quiet hours 22:00–07:00 Asia/Tokyo: 注意/警戒 wait for the morning, 炎上/大炎上 go out at once.
- The daily digest is on.
"""

from __future__ import annotations

from datetime import time
from typing import Any

from hikeshi.alerts.models import AlertRule, AlertSettings, Level
from hikeshi.tenancy.models import Organization

DEFAULT_RULE_NAME = "警戒以上をすべてのチャンネルへ"
DEFAULT_QUIET_START = time(22, 0)
DEFAULT_QUIET_END = time(7, 0)


def ensure_defaults(organization: Organization) -> None:
    """Idempotent: creates the default rule and settings only where they are missing."""
    if not AlertRule.objects.for_org(organization).filter(is_default=True).exists():
        AlertRule.objects.create(
            organization=organization,
            name=DEFAULT_RULE_NAME,
            min_level=Level.WARNING,
            all_channels=True,
            is_default=True,
        )
    AlertSettings.objects.get_or_create(
        organization=organization,
        defaults={
            "quiet_start": DEFAULT_QUIET_START,
            "quiet_end": DEFAULT_QUIET_END,
            "timezone": "Asia/Tokyo",
        },
    )


def on_organization_saved(
    sender: Any, instance: Organization, created: bool, raw: bool = False, **_: Any
) -> None:
    if created and not raw:
        ensure_defaults(instance)
