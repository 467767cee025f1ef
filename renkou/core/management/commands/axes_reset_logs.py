"""``axes_reset_logs``, logged before it runs (see renkou.core.management.audited)."""

from axes.management.commands.axes_reset_logs import Command as Original

from renkou.core.management.audited import audited
from renkou.core.models import AuditAction

Command = audited(Original, "axes_reset_logs", AuditAction.USER)
