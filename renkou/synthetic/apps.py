from django.apps import AppConfig


class SyntheticConfig(AppConfig):
    name = "renkou.synthetic"
    label = "synthetic"
    verbose_name = "synthetic county"
