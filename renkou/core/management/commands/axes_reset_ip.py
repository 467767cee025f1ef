"""``axes_reset_ip``, logged before it runs (see renkou.core.management.audited)."""

from axes.management.commands.axes_reset_ip import Command as Original

from renkou.core.management.audited import audited
from renkou.core.models import AuditAction

Command = audited(Original, "axes_reset_ip", AuditAction.USER)
