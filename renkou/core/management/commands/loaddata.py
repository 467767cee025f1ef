"""``loaddata``, logged before it runs (see renkou.core.management.audited)."""

from django.core.management.commands.loaddata import Command as Original

from renkou.core.management.audited import audited
from renkou.core.models import AuditAction

Command = audited(Original, "loaddata", AuditAction.IMPORT)
