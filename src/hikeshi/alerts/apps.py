from django.apps import AppConfig
from django.db.models.signals import post_save


class AlertsConfig(AppConfig):
    name = "hikeshi.alerts"
    label = "alerts"
    verbose_name = "アラート"

    def ready(self) -> None:
        from hikeshi.alerts.defaults import on_organization_saved
        from hikeshi.tenancy.models import Organization

        post_save.connect(
            on_organization_saved, sender=Organization, dispatch_uid="alerts-defaults-for-new-org"
        )
