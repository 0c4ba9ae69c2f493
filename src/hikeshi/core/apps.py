from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CoreConfig(AppConfig):
    name = "hikeshi.core"
    label = "core"
    verbose_name = "hikeshi"

    def ready(self) -> None:
        # Importing the Celery app here makes shared_task bind to it in every process.
        from hikeshi.core import celery  # noqa: F401
        from hikeshi.core.broker import prepare_embedded_broker

        # Every deployment migrates before starting web and workers: the embedded broker is prepared then.
        post_migrate.connect(prepare_embedded_broker, sender=self, dispatch_uid="hikeshi-prepare-broker")
