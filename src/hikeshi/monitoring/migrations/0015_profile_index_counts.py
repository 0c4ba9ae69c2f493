"""The topic index's counters on the profile row (members, highest member id, oldest ``seen``), filled
from the members that exist: see ``index_counts``, which keeps them from now on."""

from django.db import migrations, models

FILL = (
    "UPDATE monitoring_monitoringprofile SET "
    "index_members = (SELECT COUNT(*) FROM monitoring_topicmember m "
    "WHERE m.organization_id = monitoring_monitoringprofile.organization_id), "
    "index_max_id = COALESCE((SELECT MAX(m.id) FROM monitoring_topicmember m "
    "WHERE m.organization_id = monitoring_monitoringprofile.organization_id), 0), "
    "index_oldest = (SELECT MIN(m.seen) FROM monitoring_topicmember m "
    "WHERE m.organization_id = monitoring_monitoringprofile.organization_id)"
)


class Migration(migrations.Migration):
    dependencies = [
        ("monitoring", "0014_post_reply_to_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="monitoringprofile",
            name="index_max_id",
            field=models.BigIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name="monitoringprofile",
            name="index_members",
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name="monitoringprofile",
            name="index_oldest",
            field=models.DateTimeField(editable=False, null=True),
        ),
        migrations.RunSQL(FILL, migrations.RunSQL.noop),
    ]
