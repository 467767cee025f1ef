"""A recipient's history: everything benefits know of one person, with the ledger
events that matter to them; logged as a view of the person."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Q

from renkou.core import audit
from renkou.core.models import AuditAction
from renkou.register.models import EventType, LifeEvent, Person

from .models import Application, Decision, Notice, Objection, Payment

__all__ = ["recipient_history"]

def recipient_history(user, person: Person) -> dict[str, Any]:
    """Everything benefits know of one person, with the ledger events that matter; logged."""
    apps = list(Application.objects.filter(person=person).order_by("id"))
    decisions = list(Decision.objects.filter(application__in=apps).select_related("user")
                     .defer("attachment").order_by("at", "id"))
    notices = list(Notice.objects.filter(applications__in=apps).distinct().order_by("starts_on"))
    objections = list(Objection.objects.filter(application__in=apps).order_by("id"))
    payments = list(Payment.objects.filter(application__in=apps).select_related("roster")
                    .order_by("year", "id"))
    kin = Person.objects.filter(Q(mother=person) | Q(father=person)).values("pk")
    events = list(LifeEvent.objects.filter(Q(person=person) | Q(
        person__in=kin, event_type__in=[EventType.BIRTH, EventType.DEATH, EventType.MOVE_OUT]))
        .select_related("person", "org").order_by("event_date", "pk"))
    audit.record(AuditAction.VIEW, "person", person.pk, details={"page": "benefit_history"},
                 user=user)
    return {"applications": apps, "decisions": decisions, "notices": notices,
            "objections": objections, "payments": payments, "events": events,
            "paid_total": sum((p.amount for p in payments if p.paid), Decimal("0.00")),
            "due_total": sum((p.amount for p in payments), Decimal("0.00"))}
