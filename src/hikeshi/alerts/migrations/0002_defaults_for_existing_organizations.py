"""Default alert rule and settings for organisations created before the alerts app existed."""

from datetime import time
from typing import Any

from django.db import migrations


def create_defaults(apps: Any, schema_editor: Any) -> None:
    # Historical models: the values mirror hikeshi.alerts.defaults at the time of this migration.
    organization_model = apps.get_model("tenancy", "Organization")
    rule_model = apps.get_model("alerts", "AlertRule")
    settings_model = apps.get_model("alerts", "AlertSettings")
    for org in organization_model.objects.all():
        if not rule_model.objects.filter(organization=org, is_default=True).exists():
            rule_model.objects.create(
                organization=org, name="警戒以上をすべてのチャンネルへ", min_level=2, all_channels=True, is_default=True
            )
        settings_model.objects.get_or_create(
            organization=org, defaults={"quiet_start": time(22, 0), "quiet_end": time(7, 0), "timezone": "Asia/Tokyo"}
        )


class Migration(migrations.Migration):
    dependencies = [("alerts", "0001_initial")]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
