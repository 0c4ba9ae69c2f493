from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "hikeshi.api"
    label = "api"
    verbose_name = "API"
