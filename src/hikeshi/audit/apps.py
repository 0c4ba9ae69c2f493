from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "hikeshi.audit"
    label = "audit"
    verbose_name = "監査ログ"

    def ready(self) -> None:
        from hikeshi.audit import signals

        signals.connect()
