from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "hikeshi.alerts"
    label = "alerts"
    verbose_name = "アラート"
