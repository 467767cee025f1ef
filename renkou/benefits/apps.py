from django.utils.translation import gettext_lazy as _

from renkou.core import registry

from .permissions import CAPABILITIES, MANAGE_BENEFITS


class BenefitsConfig(registry.PlatformApp):
    name = "renkou.benefits"
    label = "benefits"
    verbose_name = _("family benefits")
    url_prefix = "benefits/"
    api_prefix = "/benefits"
    api_tags = ("benefits",)
    capabilities = CAPABILITIES
    menu = (registry.MenuEntry(_("Benefits"), "benefits:index", MANAGE_BENEFITS, order=80),)
    commands = ("benefits",)
    audit_object_types = (
        ("benefit_application", _("benefit application")),
        ("benefit_attachment", _("attachment of a benefit decision")),
        ("benefit_screening", _("benefit screening")),
        ("walk_in_list", _("walk-in application list")),
        ("benefit_notice", _("benefit public notice")),
        ("benefit_requalification", _("annual requalification")),
        ("benefit_roster", _("payment roster")), ("benefit_bank_file", _("bank payment file")),
        ("benefit_programme_version", _("benefit programme version")),
    )
    file_imports = True
    background_jobs = True
    #: records one recipient's death (a payment stops), which the statistics include
    demo_order = 30
    dashboard_order = 50
