"""Models of the service records (服务记录): consents, requests, encounters, follow-ups.

Voluntary health services a person asked for (DESIGN.md §2), recorded with her consent,
seen only by health workers. A :class:`Consent` is one permission the person gave, for
one purpose (receiving a service, being contacted for follow-up, sharing results with
another office, use in anonymous statistics), after FHIR's Consent resource: its date,
how it was given, the version of the information she was given, an expiry, and its
withdrawal at any time; rows are never deleted, so the history is the table. A
:class:`ServiceRequest` is a person asking for a service (the figures' coverage counts
requests served, not a "target population"). An :class:`Encounter` is one service given,
under an active service consent, with the catalogue's items
(:mod:`renkou.services.catalogue`) as its values. A :class:`FollowUp` is a follow-up the
person agreed to; it is listed only while her follow-up consent is active.

No model here (nor anywhere in renkou) has a field for contraceptive status, pregnancy
status or "policy compliance"; a test walks every model to keep it so.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import OuterRef, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from renkou.core.scoping import OrgScopedQuerySet

from .permissions import RECORD_SERVICES

__all__ = ["Purpose", "ConsentMethod", "Consent", "RequestState", "ServiceRequest",
           "PlaceKind", "Encounter", "FollowUpState", "FollowUp", "active_q"]


class Purpose(models.TextChoices):
    """What a consent permits (FHIR Consent ``provision.purpose``)."""

    SERVICE = "service", _("receiving the service")
    FOLLOW_UP = "follow_up", _("being contacted for follow-up")
    SHARE = "share", _("sharing results with another office")
    STATISTICS = "statistics", _("use in anonymous statistics")


#: Purposes given for one service (the others may cover every service: ``service_code`` "").
PER_SERVICE = (Purpose.SERVICE, Purpose.FOLLOW_UP)


class ConsentMethod(models.TextChoices):
    PAPER = "paper", _("signed paper form")
    VERBAL = "verbal", _("verbal, with a witness")
    ELECTRONIC = "electronic", _("electronic signature")


def active_q(on: dt.date, prefix: str = "") -> Q:
    """Consents active on ``on`` (given by then, not expired, not withdrawn by then): the
    rule, once, for querysets and subqueries (``prefix`` e.g. ``"consent__"``)."""
    p = prefix
    return (Q(**{f"{p}given_on__lte": on})
            & (Q(**{f"{p}expires_on": None}) | Q(**{f"{p}expires_on__gte": on}))
            & (Q(**{f"{p}withdrawn_on": None}) | Q(**{f"{p}withdrawn_on__gt": on})))


class ServiceScopedQuerySet(OrgScopedQuerySet):
    """Service records are read by health workers of the unit where they were recorded
    and the units above it; nobody else (DESIGN.md §1)."""

    org_path_lookup = "org__path"
    required_capability = RECORD_SERVICES


class ConsentQuerySet(ServiceScopedQuerySet):
    if TYPE_CHECKING:
        def visible_to(self, user) -> ConsentQuerySet: ...

    def active(self, on: dt.date) -> ConsentQuerySet:
        return self.filter(active_q(on))

    def covering(self, purpose: str, service_code: str | OuterRef) -> ConsentQuerySet:
        """Consents for ``purpose`` that cover ``service_code`` (given for it, or for every
        service when the purpose allows that; an ``OuterRef`` in a subquery)."""
        return self.filter(purpose=purpose).filter(Q(service_code=service_code) | Q(service_code=""))


class Consent(models.Model):
    """One consent of a person, for one purpose (see the module); withdrawn, never deleted."""

    person = models.ForeignKey("register.Person", verbose_name=_("person"),
                               on_delete=models.PROTECT, related_name="service_consents")
    purpose = models.CharField(_("purpose"), max_length=12, choices=Purpose.choices)
    #: the service it is for; "" for every service (sharing, statistics)
    service_code = models.CharField(_("service"), max_length=40, blank=True)
    #: sharing: the office results may be shown to; empty for every office here
    share_with = models.ForeignKey("orgunits.OrgUnit", verbose_name=_("shared with"),
                                   null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    given_on = models.DateField(_("given on"))
    method = models.CharField(_("how it was given"), max_length=12, choices=ConsentMethod.choices)
    witness = models.CharField(_("witness"), max_length=50, blank=True)
    information_version = models.CharField(_("information given (version)"), max_length=100)
    expires_on = models.DateField(_("expires on"), null=True, blank=True)
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)
    withdrawal_note = models.CharField(_("withdrawal note"), max_length=200, blank=True)
    withdrawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("withdrawal recorded by"),
                                     null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+")
    #: the unit of the station that recorded it (who may read it)
    org = models.ForeignKey("orgunits.OrgUnit", verbose_name=_("recorded at"),
                            on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("recorded at (time)"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"),
                                    null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    recorded_via = models.CharField(_("recorded via"), max_length=12, default="form")

    objects = ConsentQuerySet.as_manager()

    class Meta:
        ordering = ["-given_on", "-id"]
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        indexes = [models.Index(fields=["person", "purpose"], name="consent_person_purpose")]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} {self.service_code or ''} {self.given_on}".strip()

    def is_active(self, on: dt.date) -> bool:
        return (self.given_on <= on and (self.expires_on is None or self.expires_on >= on)
                and (self.withdrawn_on is None or self.withdrawn_on > on))

    def status(self, on: dt.date) -> str:
        """active, withdrawn, expired or pending (given for a later day)."""
        if self.withdrawn_on is not None and self.withdrawn_on <= on:
            return "withdrawn"
        if self.expires_on is not None and self.expires_on < on:
            return "expired"
        if self.given_on > on:
            return "pending"
        return "active"


class RequestState(models.TextChoices):
    OPEN = "open", _("waiting")
    SERVED = "served", _("served")
    WITHDRAWN = "withdrawn", _("withdrawn by the person")
    REFERRED = "referred", _("referred elsewhere")


class ServiceRequest(models.Model):
    """A person asking for a service (服务需求): coverage is requests served."""

    person = models.ForeignKey("register.Person", verbose_name=_("person"),
                               on_delete=models.PROTECT, related_name="service_requests")
    service_code = models.CharField(_("service"), max_length=40)
    org = models.ForeignKey("orgunits.OrgUnit", verbose_name=_("asked at"),
                            on_delete=models.PROTECT, related_name="+")
    requested_on = models.DateField(_("asked on"))
    state = models.CharField(_("state"), max_length=10, choices=RequestState.choices,
                             default=RequestState.OPEN)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_at = models.DateTimeField(_("recorded at (time)"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"),
                                    null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")

    objects = ServiceScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_on", "-id"]
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")

    def __str__(self) -> str:
        return f"{self.service_code} {self.requested_on}"


class PlaceKind(models.TextChoices):
    COUNTY_STATION = "county", _("county service station")  # 县级服务站
    TOWNSHIP_STATION = "township", _("township service station")  # 乡镇服务所 / 卫生院
    VILLAGE_ROOM = "village", _("village service room")  # 村服务室
    OTHER = "other", pgettext_lazy("place", "other")


class Encounter(models.Model):
    """One service given to a person who asked for it, under her active service consent.

    ``values`` holds the catalogue's items (``{item code: value}``), checked against the
    service's items when saved; ``at_risk`` is the service's risk item read as a flag
    (for the figures); ``migrant_at_residence`` whether she was an inflow migrant here
    that day (served at her residence, 现居住地服务).
    """

    person = models.ForeignKey("register.Person", verbose_name=_("person"),
                               on_delete=models.PROTECT, related_name="service_encounters")
    service_code = models.CharField(_("service"), max_length=40)
    org = models.ForeignKey("orgunits.OrgUnit", verbose_name=_("service unit"),
                            on_delete=models.PROTECT, related_name="+")
    place_kind = models.CharField(_("place"), max_length=10, choices=PlaceKind.choices,
                                  default=PlaceKind.TOWNSHIP_STATION)
    date = models.DateField(_("date"))
    provider = models.CharField(_("provider"), max_length=50)
    consent = models.ForeignKey(Consent, verbose_name=_("consent"), on_delete=models.PROTECT,
                                related_name="encounters")
    request = models.ForeignKey(ServiceRequest, verbose_name=_("request"), null=True,
                                blank=True, on_delete=models.PROTECT, related_name="encounters")
    values = models.JSONField(_("items recorded"), default=dict, blank=True)
    at_risk = models.BooleanField(_("assessed at risk"), null=True, blank=True)
    referred = models.BooleanField(_("referred"), default=False)
    referral_to = models.CharField(_("referred to"), max_length=100, blank=True)
    #: only when the person wants one
    next_appointment = models.DateField(_("next appointment"), null=True, blank=True)
    migrant_at_residence = models.BooleanField(_("migrant served at the residence"),
                                               default=False)
    note = models.CharField(_("note"), max_length=500, blank=True)
    recorded_at = models.DateTimeField(_("recorded at (time)"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"),
                                    null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    recorded_via = models.CharField(_("recorded via"), max_length=12, default="form")

    objects = ServiceScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("service encounter")
        verbose_name_plural = _("service encounters")
        indexes = [models.Index(fields=["person", "date"], name="encounter_person_date")]

    def __str__(self) -> str:
        return f"{self.service_code} {self.date}"


class FollowUpState(models.TextChoices):
    DUE = "due", _("due")
    DONE = "done", _("done")
    DECLINED = "declined", _("declined by the person")
    CANCELLED = "cancelled", _("cancelled: follow-up consent withdrawn")


class FollowUp(models.Model):
    """A follow-up after an encounter, arranged with the person's follow-up consent."""

    encounter = models.ForeignKey(Encounter, verbose_name=_("encounter"),
                                  on_delete=models.PROTECT, related_name="follow_ups")
    person = models.ForeignKey("register.Person", verbose_name=_("person"),
                               on_delete=models.PROTECT, related_name="service_follow_ups")
    service_code = models.CharField(_("service"), max_length=40)
    kind = models.CharField(_("follow-up"), max_length=40)
    org = models.ForeignKey("orgunits.OrgUnit", verbose_name=_("service unit"),
                            on_delete=models.PROTECT, related_name="+")
    due_on = models.DateField(_("due on"))
    state = models.CharField(_("state"), max_length=10, choices=FollowUpState.choices,
                             default=FollowUpState.DUE)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=500, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("closed by"),
                                  null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")

    objects = ServiceScopedQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("follow-up")
        verbose_name_plural = _("follow-ups")

    def __str__(self) -> str:
        return f"{self.kind} {self.due_on}"
