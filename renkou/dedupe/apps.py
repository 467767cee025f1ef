from django.utils.translation import gettext_lazy as _

from renkou.core import registry

from .permissions import CAPABILITIES, MERGE_DUPLICATES


class DedupeConfig(registry.PlatformApp):
    name = "renkou.dedupe"
    label = "dedupe"
    verbose_name = _("duplicate detection")
    url_prefix = "dedupe/"
    api_prefix = "/dedupe"
    api_tags = ("duplicates",)
    capabilities = CAPABILITIES
    menu = (registry.MenuEntry(_("Duplicates"), "dedupe:index", MERGE_DUPLICATES, order=60),)
    commands = ("dedupe",)
    audit_object_types = (("duplicate_detection", _("duplicate detection run")),
                          ("duplicate_pair", _("candidate duplicate pair")),
                          ("duplicate_pairs", _("candidate duplicate pairs (export)")))
    background_jobs = True
    demo_order = 10
    dashboard_order = 40
