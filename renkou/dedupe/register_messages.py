"""Copies of the register's merge-event strings, so that this app's catalogue carries their
Chinese until the project catalogue has them (Django looks every msgid up in every
catalogue). Never imported at run time."""

from django.utils.translation import gettext_noop as _

MESSAGES = (
    _("merged into another record"),
    _("merge of a duplicate record"),
    _("a record cannot be merged into itself"),
    _("%(name)s (%(pid)s) was already merged into another record"),
    _("%(name)s was merged into another record"),
)
