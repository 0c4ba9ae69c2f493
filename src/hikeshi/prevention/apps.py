from django.apps import AppConfig


class PreventionConfig(AppConfig):
    name = "hikeshi.prevention"
    label = "prevention"
    verbose_name = "予防"

    def ready(self) -> None:
        from hikeshi.prevention import signals  # noqa: F401  (connects the receivers)
