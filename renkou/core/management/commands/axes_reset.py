"""``axes_reset``, logged before it runs (see renkou.core.management.audited)."""

from axes.management.commands.axes_reset import Command as Original

from renkou.core.management.audited import audited
from renkou.core.models import AuditAction

Command = audited(Original, "axes_reset", AuditAction.USER)
