"""``createsuperuser``, logged before it runs (see renkou.core.management.audited)."""

from django.contrib.auth.management.commands.createsuperuser import Command as Original

from renkou.core.management.audited import audited
from renkou.core.models import AuditAction

Command = audited(Original, "createsuperuser", AuditAction.USER)
