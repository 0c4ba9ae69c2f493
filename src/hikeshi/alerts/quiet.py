"""Quiet hours: levels below 炎上 wait until the morning; 炎上 and 大炎上 always go out."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hikeshi.alerts.models import AlertSettings, Level

ALWAYS_THROUGH = Level.FIRESTORM


def quiet_window_end(start: time | None, end: time | None, tz_name: str, now: datetime) -> datetime | None:
    """When the quiet window containing `now` ends, or None when `now` is outside it (or none is set)."""
    if start is None or end is None or start == end:
        return None
    try:
        tz = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        tz = ZoneInfo("Asia/Tokyo")
    local = now.astimezone(tz)
    t = local.time().replace(tzinfo=None)
    inside = start <= t < end if start < end else (t >= start or t < end)
    if not inside:
        return None
    end_at = datetime.combine(local.date(), end, tzinfo=tz)
    if end_at <= local:
        end_at += timedelta(days=1)
    return end_at


def hold_until(settings_row: AlertSettings | None, level: int, now: datetime) -> datetime | None:
    if settings_row is None or level >= ALWAYS_THROUGH:
        return None
    return quiet_window_end(settings_row.quiet_start, settings_row.quiet_end, settings_row.timezone, now)
