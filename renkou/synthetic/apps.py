from django.utils.translation import gettext_lazy as _

from renkou.core import registry


class SyntheticConfig(registry.PlatformApp):
    """The deterministic synthetic county: it drives the demo, the tests and the benchmarks."""

    name = "renkou.synthetic"
    label = "synthetic"
    verbose_name = "synthetic county"
    commands = ("generate", "demo", "bench")
    audit_object_types = (("register", _("generated register (synthetic county)")),
                          ("demo_database", _("demo database")))
