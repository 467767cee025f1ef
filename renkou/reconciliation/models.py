"""Models of reconciliation: field-check surveys (抽样调查/入户核查), department lists
(部门比对: 出生医学证明, 户籍登记/注销, 死亡/婚姻登记), the discrepancy worklist and
cross-checks sent to other areas (协查).

A survey keeps what was found on the ground (:class:`SurveyMember`), its frame: the
households visited in each sampled village (:class:`SurveyHousehold`), and the register
entries expected in those households on the survey date (:class:`SurveyEntry`), each
linked to the member it was matched to. Every rate is then one GROUP BY over these rows.

A sampled village imported before frames were kept has no :class:`SurveyHousehold` and
``frame_source`` "" (:attr:`FrameSource.WHOLE_VILLAGE`): its entries are every register
entry resident in the village on the survey date, as they were computed then.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from renkou.core.scoping import OrgScopedQuerySet

if TYPE_CHECKING:
    from renkou.orgunits.models import OrgUnit

__all__ = [
    "Survey",
    "FrameSource",
    "SurveyVillage",
    "SurveyHousehold",
    "SurveyMember",
    "SurveyEntry",
    "Source",
    "RecordKind",
    "DepartmentList",
    "DepartmentRecord",
    "DiscrepancyKind",
    "WorkStatus",
    "Discrepancy",
    "CrossCheck",
]


class Survey(models.Model):
    """One field check (抽样调查/入户核查) of a sample of villages on one date.

    ``reference_start`` opens the reference period for births (出生漏报): births
    dated from it up to the survey date count.
    """

    name = models.CharField(_("name"), max_length=100)
    survey_date = models.DateField(_("survey date"))
    reference_start = models.DateField(_("start of the reference period"))
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("imported by"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    imported_at = models.DateTimeField(_("imported at"))
    file_name = models.CharField(_("file"), max_length=200, blank=True)
    villages: models.ManyToManyField[OrgUnit, SurveyVillage] = models.ManyToManyField(
        "orgunits.OrgUnit", through="SurveyVillage", verbose_name=_("sampled villages"),
        related_name="+",
    )

    class Meta:
        ordering = ["-survey_date", "-id"]
        verbose_name = _("field-check survey")
        verbose_name_plural = _("field-check surveys")

    def __str__(self) -> str:
        return f"{self.name} ({self.survey_date})"


class FrameSource(models.TextChoices):
    """How the households visited in a sampled village are known."""

    WHOLE_VILLAGE = "", _("not kept: the whole village is compared")
    LISTED = "listed", _("listed with the import")
    INFERRED = "inferred", _("inferred from the households in the file")


class SurveyVillage(models.Model):
    """A sampled village of a survey, with how its frame (the households visited) is known
    and how many households the register had there (with a resident on the survey date)."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="sampled")
    village = models.ForeignKey("orgunits.OrgUnit", on_delete=models.PROTECT, related_name="+")
    frame_source = models.CharField(_("households visited"), max_length=8, blank=True,
                                    default=FrameSource.WHOLE_VILLAGE,
                                    choices=FrameSource.choices)
    register_households = models.PositiveIntegerField(
        _("households in the register"), null=True, blank=True,
        help_text=_("households with a resident of the village on the survey date"))

    class Meta:
        unique_together = [("survey", "village")]
        verbose_name = _("sampled village")
        verbose_name_plural = _("sampled villages")

    def __str__(self) -> str:
        return f"{self.survey_id}:{self.village_id}"


class SurveyHousehold(models.Model):
    """A household visited in a sampled village (the survey's frame), as written in the list
    of visited households or in the survey file, with the register household it is."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="households")
    village = models.ForeignKey("orgunits.OrgUnit", verbose_name=_("village"),
                                on_delete=models.PROTECT, related_name="+")
    household_no = models.CharField(_("household number"), max_length=24)
    row = models.PositiveIntegerField(_("row"), null=True, blank=True)
    household = models.ForeignKey("register.Household", verbose_name=_("register household"),
                                  null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")

    class Meta:
        ordering = ["survey", "village", "household_no"]
        unique_together = [("survey", "village", "household_no")]
        verbose_name = _("household visited")
        verbose_name_plural = _("households visited")

    def __str__(self) -> str:
        return f"{self.survey_id}:{self.household_no}"


class SurveyMember(models.Model):
    """A household member found on the ground in a sampled village (one row of the file)."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="members")
    village = models.ForeignKey("orgunits.OrgUnit", verbose_name=_("village"),
                                on_delete=models.PROTECT, related_name="+")
    row = models.PositiveIntegerField(_("row"))
    household_no = models.CharField(_("household number"), max_length=24, blank=True)
    name = models.CharField(_("name"), max_length=50)
    sex = models.CharField(_("sex"), max_length=1)
    birth_date = models.DateField(_("birth date"))
    id_number = models.CharField(_("ID number"), max_length=18, blank=True)
    relationship = models.CharField(_("relationship to head"), max_length=20, blank=True)
    remarks = models.CharField(_("remarks"), max_length=200, blank=True)
    person = models.ForeignKey("register.Person", verbose_name=_("matched person"), null=True,
                               blank=True, on_delete=models.PROTECT, related_name="+")
    match_method = models.CharField(_("matched by"), max_length=12, blank=True)

    class Meta:
        ordering = ["survey", "row"]
        verbose_name = _("person found on the ground")
        verbose_name_plural = _("persons found on the ground")

    def __str__(self) -> str:
        return self.name


class SurveyEntry(models.Model):
    """A register entry expected in a visited household of a sampled village on the survey
    date (in the whole village for a village without a frame).

    ``confirmed`` (准确): found on the ground with name, sex, birth date and ID number
    agreeing; ``member`` is the person found (``None``: not found on the ground, 水分).
    """

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="entries")
    village = models.ForeignKey("orgunits.OrgUnit", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey("register.Person", on_delete=models.PROTECT, related_name="+")
    member = models.OneToOneField(SurveyMember, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="entry")
    confirmed = models.BooleanField(default=False)

    class Meta:
        unique_together = [("survey", "person")]
        verbose_name = _("register entry checked")
        verbose_name_plural = _("register entries checked")

    def __str__(self) -> str:
        return f"{self.survey_id}:{self.person_id}"


class Source(models.TextChoices):
    HOSPITAL = "hospital", _("hospital (birth certificates)")
    POLICE = "police", _("police (household registration)")
    CIVIL = "civil", _("civil affairs (deaths, marriages)")


class RecordKind(models.TextChoices):
    BIRTH_CERTIFICATE = "birth_cert", _("birth certificate")
    REGISTRATION = "registration", _("hukou registration")
    CANCELLATION = "cancellation", _("hukou cancellation")
    DEATH = "death", _("death registration")
    MARRIAGE = "marriage", _("marriage registration")


class DepartmentList(models.Model):
    """One imported list from another department, covering a period."""

    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("imported by"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
    )
    imported_at = models.DateTimeField(_("imported at"))
    file_name = models.CharField(_("file"), max_length=200, blank=True)
    scope = models.ForeignKey("orgunits.OrgUnit", verbose_name=_("compared within"), null=True,
                              blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-imported_at", "-id"]
        verbose_name = _("department list")
        verbose_name_plural = _("department lists")

    def __str__(self) -> str:
        return f"{self.get_source_display()} {self.period_start}–{self.period_end}"


class DepartmentRecord(models.Model):
    """One row of a department list, with what it matched in the register."""

    dept_list = models.ForeignKey(DepartmentList, on_delete=models.CASCADE, related_name="records")
    row = models.PositiveIntegerField(_("row"))
    kind = models.CharField(_("kind"), max_length=12, choices=RecordKind.choices)
    reference = models.CharField(_("reference number"), max_length=40, blank=True)
    name = models.CharField(_("name"), max_length=50)
    sex = models.CharField(_("sex"), max_length=1, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    id_number = models.CharField(_("ID number"), max_length=18, blank=True)
    event_date = models.DateField(_("event date"))
    other_name = models.CharField(_("mother's / spouse's name"), max_length=50, blank=True)
    other_id_number = models.CharField(_("mother's / spouse's ID number"), max_length=18,
                                       blank=True)
    issuing_org = models.CharField(_("issuing organisation"), max_length=100, blank=True)
    place = models.CharField(_("place"), max_length=100, blank=True)
    org = models.ForeignKey("orgunits.OrgUnit", verbose_name=_("org unit"), null=True,
                            blank=True, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey("register.Person", verbose_name=_("matched person"), null=True,
                               blank=True, on_delete=models.PROTECT, related_name="+")
    event = models.ForeignKey("register.LifeEvent", verbose_name=_("matched event"), null=True,
                              blank=True, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["dept_list", "row"]
        verbose_name = _("department record")
        verbose_name_plural = _("department records")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.name}"


class DiscrepancyKind(models.TextChoices):
    FOUND_NOT_IN_REGISTER = "found_only", _("found on the ground, not in the register")
    NOT_FOUND = "register_only", _("in the register, not found on the ground")
    FIELD_MISMATCH = "mismatch", _("field differs")
    LIST_NOT_IN_REGISTER = "list_only", _("in the department list, not in the register")
    REGISTER_NOT_IN_LIST = "not_listed", _("in the register, not in the department list")


class WorkStatus(models.TextChoices):
    OPEN = "open", _("open")
    CORRECTED = "corrected", _("register corrected")
    CONFIRMED = "confirmed", _("register right, no change")
    REFERRED = "referred", _("referred to another area")


class DiscrepancyQuerySet(OrgScopedQuerySet):
    org_path_lookup = "org__path"
    required_capability = "view_register"


class Discrepancy(models.Model):
    """One item of a discrepancy worklist (核查/比对差异清单) that a clerk works through."""

    kind = models.CharField(_("kind"), max_length=14, choices=DiscrepancyKind.choices)
    survey = models.ForeignKey(Survey, null=True, blank=True, on_delete=models.CASCADE,
                               related_name="discrepancies")
    dept_list = models.ForeignKey(DepartmentList, null=True, blank=True, on_delete=models.CASCADE,
                                  related_name="discrepancies")
    org = models.ForeignKey("orgunits.OrgUnit", verbose_name=_("org unit"),
                            on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey("register.Person", verbose_name=_("person"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="+")
    event = models.ForeignKey("register.LifeEvent", verbose_name=_("event"), null=True,
                              blank=True, on_delete=models.PROTECT, related_name="+")
    member = models.ForeignKey(SurveyMember, null=True, blank=True, on_delete=models.CASCADE,
                               related_name="+")
    record = models.ForeignKey(DepartmentRecord, null=True, blank=True, on_delete=models.CASCADE,
                               related_name="+")
    field = models.CharField(_("field"), max_length=20, blank=True)
    register_value = models.CharField(_("in the register"), max_length=100, blank=True)
    found_value = models.CharField(_("found"), max_length=100, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=WorkStatus.choices,
                              default=WorkStatus.OPEN)
    comment = models.CharField(_("comment"), max_length=300, blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")
    updated_at = models.DateTimeField(_("updated at"), null=True, blank=True)

    objects = DiscrepancyQuerySet.as_manager()

    class Meta:
        ordering = ["org__code", "kind", "id"]
        verbose_name = _("discrepancy")
        verbose_name_plural = _("discrepancies")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class CrossCheckQuerySet(OrgScopedQuerySet):
    org_path_lookup = "org__path"
    required_capability = "view_register"


class CrossCheck(models.Model):
    """A cross-check request (协查函) sent to another area about a record that belongs there.

    Answered in time (按时反馈) when ``feedback_date`` is on or before ``due_date``.
    """

    org = models.ForeignKey("orgunits.OrgUnit", verbose_name=_("sent by"),
                            on_delete=models.PROTECT, related_name="+")
    target_area_code = models.CharField(_("target area code"), max_length=12)
    subject = models.CharField(_("subject"), max_length=200)
    record = models.ForeignKey(DepartmentRecord, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="crosschecks")
    sent_date = models.DateField(_("sent on"))
    due_date = models.DateField(_("due on"))
    feedback_date = models.DateField(_("answered on"), null=True, blank=True)
    result = models.CharField(_("result"), max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="+")

    objects = CrossCheckQuerySet.as_manager()

    class Meta:
        ordering = ["-sent_date", "-id"]
        verbose_name = _("cross-check request")
        verbose_name_plural = _("cross-check requests")

    def __str__(self) -> str:
        return self.subject

    @property
    def answered_in_time(self) -> bool:
        return self.feedback_date is not None and self.feedback_date <= self.due_date
