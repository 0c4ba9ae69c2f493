from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from hikeshi.accounts.models import User
from hikeshi.response.models import Incident, TimelineEntry
from hikeshi.tenancy.models import Organization


@transaction.atomic
def do_open_incident(
    organization: Organization, *, title: str, level: int, summary: str, opened_by: User | None
) -> Incident:
    incident = Incident.objects.create(
        organization=organization, title=title, level=level, summary=summary, owner=opened_by
    )
    TimelineEntry.objects.create(
        organization=organization, incident=incident, author=opened_by, text=_("インシデントを開始しました。")
    )
    return incident


@transaction.atomic
def do_add_timeline_entry(incident: Incident, *, text: str, author: User | None) -> TimelineEntry:
    return TimelineEntry.objects.create(
        organization=incident.organization, incident=incident, author=author, text=text
    )


@transaction.atomic
def do_change_level(incident: Incident, *, level: int, author: User | None) -> Incident:
    if incident.level != level:
        old = incident.get_level_display()
        incident.level = level
        incident.save(update_fields=["level"])
        do_add_timeline_entry(
            incident,
            text=_("危険度を %(old)s から %(new)s に変更しました。")
            % {"old": old, "new": incident.get_level_display()},
            author=author,
        )
    return incident


@transaction.atomic
def do_close_incident(incident: Incident, *, author: User | None) -> Incident:
    if incident.closed_at is None:
        incident.closed_at = timezone.now()
        incident.save(update_fields=["closed_at"])
        do_add_timeline_entry(incident, text=_("インシデントを終了しました。"), author=author)
    return incident
