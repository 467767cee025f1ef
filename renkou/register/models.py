"""The whole-population register (全员人口信息库) and its ledger (活台帐).

The ``Person`` and ``Household`` rows hold the register as it stands today.
Every change to a person is a ``LifeEvent``; the rows are the fold of the
ledger (see :mod:`renkou.register.ledger`), and the register as of a past date is
the fold of the events dated on or before it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from renkou.core.models import AppendOnlyModel, AppendOnlyQuerySet, RecordIsAppendOnly
from renkou.core.scoping import OrgScopedQuerySet

from .ethnicity import ETHNICITIES
from .vocabulary import EventType

__all__ = [
    "Sex",
    "HukouType",
    "MaritalStatus",
    "Education",
    "Relationship",
    "PersonStatus",
    "EventType",
    "Household",
    "Person",
    "LifeEvent",
    "LedgerIsAppendOnly",
]


class Sex(models.TextChoices):
    MALE = "M", _("male")
    FEMALE = "F", _("female")


class HukouType(models.TextChoices):
    """Household-registration type (户口性质)."""

    RURAL = "rural", _("rural hukou")
    URBAN = "urban", _("urban hukou")


class MaritalStatus(models.TextChoices):
    """Marital status (婚姻状况, GB/T 2261.2 groups)."""

    SINGLE = "single", _("never married")
    MARRIED = "married", _("married")
    DIVORCED = "divorced", _("divorced")
    WIDOWED = "widowed", _("widowed")


class Education(models.TextChoices):
    """Highest education completed (文化程度, GB/T 4658 groups)."""

    NONE = "none", _("no schooling")
    PRIMARY = "primary", _("primary school")
    JUNIOR = "junior", _("junior secondary")
    SENIOR = "senior", _("senior secondary")
    COLLEGE = "college", _("junior college")
    BACHELOR = "bachelor", _("university")
    POSTGRADUATE = "postgraduate", _("postgraduate")


class Relationship(models.TextChoices):
    """Relationship to the household head (与户主关系, GB/T 4761 groups)."""

    HEAD = "head", _("head")
    SPOUSE = "spouse", _("spouse")
    CHILD = "child", _("child")
    CHILD_IN_LAW = "child_in_law", _("child-in-law")
    GRANDCHILD = "grandchild", _("grandchild")
    PARENT = "parent", _("parent")
    SIBLING = "sibling", _("sibling")
    OTHER = "other", _("other")


class PersonStatus(models.TextChoices):
    RESIDENT = "resident", _("resident")
    MOVED_OUT = "moved_out", _("moved out")
    DEAD = "dead", _("dead")
    #: 已合并: a duplicate registration of a person kept under another record (see the
    #: merge event); not a living person of the register.
    MERGED = "merged", _("merged into another record")
    #: 登记作废: the birth or enrolment that brought the record into the register was
    #: voided by a correction, so it is no person of the register (never was).
    VOID = "void", _("registration voided")



class HouseholdQuerySet(OrgScopedQuerySet):
    org_path_lookup = "org__path"
    required_capability = "view_register"


class PersonQuerySet(OrgScopedQuerySet):
    org_path_lookup = "registered_org__path"
    required_capability = "view_register"


class LifeEventQuerySet(AppendOnlyQuerySet, OrgScopedQuerySet):
    org_path_lookup = "person__registered_org__path"
    required_capability = "view_register"


class Household(models.Model):
    """A household (户) with its number, address and head."""

    household_no = models.CharField(_("household number"), max_length=24, unique=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    org = models.ForeignKey(
        "orgunits.OrgUnit", verbose_name=_("org unit"), on_delete=models.PROTECT,
        related_name="households",
    )
    head = models.ForeignKey(
        "Person", verbose_name=_("household head"), null=True, blank=True,
        on_delete=models.SET_NULL, related_name="+",
    )

    objects = HouseholdQuerySet.as_manager()

    class Meta:
        ordering = ["household_no"]
        verbose_name = _("household")
        verbose_name_plural = _("households")

    def __str__(self) -> str:
        return self.household_no


class Person(models.Model):
    """One person in the register.

    The primary key is the ``person_id`` used in exports and URLs. ``id_number`` is
    the resident ID number (公民身份号码, GB 11643), optional (newborns, some elderly)
    but unique when present. ``registered_org`` is where the person is registered
    (户籍地); ``current_org`` is where the person lives when that differs (人户分离).
    """

    id_number = models.CharField(
        _("ID number"), max_length=18, null=True, blank=True, unique=True
    )
    name = models.CharField(pgettext_lazy("person", "name"), max_length=50, db_index=True)
    name_pinyin = models.CharField(_("name in pinyin"), max_length=120, db_index=True)
    name_initials = models.CharField(_("pinyin initials"), max_length=20, db_index=True)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    birth_date = models.DateField(_("birth date"))
    ethnicity = models.CharField(_("ethnicity"), max_length=2, default="01", choices=ETHNICITIES,
                                 help_text=_("GB 3304 code"))
    hukou_type = models.CharField(_("hukou type"), max_length=5, choices=HukouType.choices)
    registered_org = models.ForeignKey(
        "orgunits.OrgUnit", verbose_name=_("registered org unit"), on_delete=models.PROTECT,
        related_name="registered_persons",
        db_index=False,  # the (registered_org, status) index serves these lookups
    )
    current_org = models.ForeignKey(
        "orgunits.OrgUnit", verbose_name=_("current org unit"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="current_persons",
    )
    household = models.ForeignKey(
        Household, verbose_name=_("household"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="members",
    )
    relationship = models.CharField(
        _("relationship to head"), max_length=12, choices=Relationship.choices, blank=True
    )
    marital_status = models.CharField(
        _("marital status"), max_length=8, choices=MaritalStatus.choices,
        default=MaritalStatus.SINGLE,
    )
    education = models.CharField(
        _("education"), max_length=12, choices=Education.choices, blank=True
    )
    mother = models.ForeignKey(
        "self", verbose_name=_("mother"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="children_as_mother",
    )
    father = models.ForeignKey(
        "self", verbose_name=_("father"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="children_as_father",
    )
    birth_order = models.PositiveSmallIntegerField(
        _("birth order"), null=True, blank=True,
        help_text=_("Order among the mother's live births (孩次)."),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=PersonStatus.choices, default=PersonStatus.RESIDENT
    )
    source_ref = models.CharField(_("source reference"), max_length=64, blank=True)

    objects = PersonQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        indexes = [models.Index(fields=["registered_org", "status"], name="person_org_status")]

    def __str__(self) -> str:
        return self.name

    @property
    def person_id(self) -> int:
        return self.pk


class LedgerIsAppendOnly(RecordIsAppendOnly):
    """Raised on any attempt to change or delete a recorded life event."""


class LifeEvent(AppendOnlyModel):
    """One entry of the living ledger (活台帐). Append-only.

    ``org`` is the unit where the event happened (for a move, the destination).
    A correction names the event it ``supersedes``; an event is superseded at most
    once, and a later correction supersedes the earlier correction.
    """

    event_type = models.CharField(_("event type"), max_length=12, choices=EventType.choices)
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="events",
        db_index=False,  # the (person, event_date) index serves these lookups
    )
    event_date = models.DateField(_("event date"), db_index=True)
    recorded_at = models.DateTimeField(_("recorded at"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+", db_index=False,
    )
    recorded_via = models.CharField(_("recorded via"), max_length=12, default="form")
    org = models.ForeignKey(
        "orgunits.OrgUnit", verbose_name=_("org unit"), on_delete=models.PROTECT,
        related_name="events",
    )
    payload = models.JSONField(_("details"), default=dict, blank=True)
    supersedes = models.OneToOneField(
        "self", verbose_name=_("supersedes"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="superseded_by",
    )

    objects = LifeEventQuerySet.as_manager()

    append_only_error = LedgerIsAppendOnly
    append_only_message = "life events are append-only; record a correction"

    class Meta:
        ordering = ["event_date", "id"]
        verbose_name = _("life event")
        verbose_name_plural = _("life events")
        indexes = [models.Index(fields=["person", "event_date"], name="event_person_date")]

    def __str__(self) -> str:
        return f"{self.get_event_type_display()} {self.event_date}"

