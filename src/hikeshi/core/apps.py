from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "hikeshi.core"
    label = "core"
    verbose_name = "hikeshi"

    def ready(self) -> None:
        # Importing the Celery app here makes shared_task bind to it in every process.
        from hikeshi.core import celery  # noqa: F401
