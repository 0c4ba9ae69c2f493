from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "hikeshi.monitoring"
    label = "monitoring"
    verbose_name = "監視"
