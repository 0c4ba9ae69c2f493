from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "hikeshi.tenancy"
    label = "tenancy"
    verbose_name = "組織"
