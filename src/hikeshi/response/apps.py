from django.apps import AppConfig


class ResponseConfig(AppConfig):
    name = "hikeshi.response"
    label = "response"
    verbose_name = "危機対応"
