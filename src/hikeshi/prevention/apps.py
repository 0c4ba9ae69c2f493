from django.apps import AppConfig


class PreventionConfig(AppConfig):
    name = "hikeshi.prevention"
    label = "prevention"
    verbose_name = "予防"
