from django.utils.translation import gettext_lazy as _

from renkou.core import registry


class QualityConfig(registry.PlatformApp):
    name = "renkou.quality"
    label = "quality"
    verbose_name = _("data quality")
    url_prefix = "quality/"
    api_prefix = "/quality"
    api_tags = ("data quality",)
    menu = (registry.MenuEntry(_("Data quality"), "quality:index", "view_aggregates", order=50),)
    commands = ("quality",)
    audit_object_types = (
        ("quality_check", _("data-quality check run")), ("violation", _("rule violation")),
        ("violations", _("rule violations (export)")), ("office_rule", _("office rule")),
        ("office_rules", _("office rules (from a file)")),
        ("scorecard", _("data-quality scorecard (export)")),
    )
    file_imports = True
    background_jobs = True
    #: last: the scorecard reads the duplicates, surveys and benefits prepared before it
    demo_order = 40
    dashboard_order = 30
