"""``MonitoringProfile.topic_bands``: band rows (``TopicBand``) are written only for organisations whose
topic index is loaded in part (see ``topic_index``); the first such load fills them from the members'
band masks. Every member stored so far has its band rows, so the organisations that have members are
marked here (the one-time fill): their rows stay exact, including those of members stored before
migration 0010, which have no mask to fill them from. Organisations without members start unmarked."""

from typing import Any

from django.db import migrations, models


def mark_organisations_with_members(apps: Any, schema_editor: Any) -> None:
    profile = apps.get_model("monitoring", "MonitoringProfile")
    member = apps.get_model("monitoring", "TopicMember")
    profile.objects.filter(organization_id__in=member.objects.values("organization_id")).update(
        topic_bands=True
    )


class Migration(migrations.Migration):
    dependencies = [
        ("monitoring", "0010_topic_member_band_mask"),
    ]

    operations = [
        migrations.AddField(
            model_name="monitoringprofile",
            name="topic_bands",
            field=models.BooleanField(default=False, editable=False),
        ),
        migrations.RunPython(mark_organisations_with_members, migrations.RunPython.noop),
    ]
