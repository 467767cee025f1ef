from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "renkou.core"
    label = "core"
    verbose_name = "renkou core"
