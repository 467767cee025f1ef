"""The append-only tables (the ledger, the log, benefit decisions) refuse changes made
through the ORM, one row or a whole queryset at a time."""

from __future__ import annotations

import pytest

from renkou.benefits.models import Decision, DecisionIsAppendOnly
from renkou.core import audit
from renkou.core.models import AuditAction, AuditEntry, AuditLogIsAppendOnly, RecordIsAppendOnly
from renkou.register.models import LedgerIsAppendOnly, LifeEvent

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("model", "error"), [(LifeEvent, LedgerIsAppendOnly),
                                              (AuditEntry, AuditLogIsAppendOnly),
                                              (Decision, DecisionIsAppendOnly)])
def test_querysets_refuse_update_and_delete(model, error):
    assert issubclass(error, RecordIsAppendOnly)
    with pytest.raises(error):
        model.objects.all().update(pk=1)
    with pytest.raises(error):
        model.objects.filter(pk=1).delete()
    with pytest.raises(error):
        model.objects.bulk_update([], ["pk"])


def test_a_stored_log_entry_cannot_be_saved_again_or_deleted():
    audit.record(AuditAction.VIEW, "person", "1")
    entry = AuditEntry.objects.get()
    entry.object_id = "2"
    with pytest.raises(AuditLogIsAppendOnly):
        entry.save()
    with pytest.raises(AuditLogIsAppendOnly):
        entry.delete()
    assert AuditEntry.objects.get().object_id == "1"
