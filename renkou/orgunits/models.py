"""Org units (行政区划/组织机构): county → township/street → village/community → group."""

from __future__ import annotations

from typing import TypedDict

from django.db import models
from django.utils.translation import gettext_lazy as _

from renkou.core.scoping import OrgScopedQuerySet, subtree_q

__all__ = ["OrgLevel", "OrgKind", "UrbanRural", "OrgUnit", "ResidentCount"]


class OrgLevel(models.IntegerChoices):
    COUNTY = 1, _("county/district")
    TOWNSHIP = 2, _("township/street")
    VILLAGE = 3, _("village/community")
    GROUP = 4, _("group")


class OrgKind(models.TextChoices):
    """The branch type of a unit; 乡镇/村/组 and 街道/社区 coexist in one tree."""

    COUNTY = "county", _("county")
    DISTRICT = "district", _("district")
    TOWNSHIP = "township", _("township")
    TOWN = "town", _("town")
    STREET = "street", _("street")
    VILLAGE = "village", _("village")
    COMMUNITY = "community", _("community")
    GROUP = "group", _("villagers' group")


KIND_LEVEL: dict[str, OrgLevel] = {
    OrgKind.COUNTY: OrgLevel.COUNTY,
    OrgKind.DISTRICT: OrgLevel.COUNTY,
    OrgKind.TOWNSHIP: OrgLevel.TOWNSHIP,
    OrgKind.TOWN: OrgLevel.TOWNSHIP,
    OrgKind.STREET: OrgLevel.TOWNSHIP,
    OrgKind.VILLAGE: OrgLevel.VILLAGE,
    OrgKind.COMMUNITY: OrgLevel.VILLAGE,
    OrgKind.GROUP: OrgLevel.GROUP,
}


class UrbanRural(models.TextChoices):
    """Urban/rural class (城乡分类); the statistical code's first digit 1 = urban, 2 = rural."""

    URBAN = "urban", _("urban")
    RURAL = "rural", _("rural")


class OrgUnitQuerySet(OrgScopedQuerySet):
    org_path_lookup = "path"
    required_capability = ("view_register", "view_aggregates")

    def resolve_for(self, user, code: str | None = None) -> OrgUnit | None:
        """The unit a user asked to work on: the unit ``code`` names if it lies in the
        user's subtree, else (no code) the user's own unit.

        ``None`` means the whole register: a superuser, or a command run without a
        user, that named no unit. Raises ``OrgUnit.DoesNotExist`` for a code outside the
        subtree or unknown (callers answer as for a record that does not exist) and for
        a user bound to no unit.
        """
        unrestricted = user is None or user.is_superuser
        units = self.all() if unrestricted else self.visible_to(user)
        if code:
            return units.get(code=code)
        if unrestricted:
            return None
        if user.org_id is None:
            raise self.model.DoesNotExist("this user is bound to no org unit")
        return units.get(pk=user.org_id)


class OrgUnit(models.Model):
    """One unit of the administrative tree.

    ``code`` is the 12-digit statistical division code (统计用区划代码: 2+2+2+3+3
    digits for province, city, county, township, village); a villagers' group, which
    that code does not reach, extends its village's code by three digits (15 digits).
    ``path`` holds the codes from the root down, joined by ``/``, so a subtree is
    one indexed prefix match.
    """

    code = models.CharField(_("division code"), max_length=15, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=12, choices=OrgKind.choices)
    level = models.PositiveSmallIntegerField(_("level"), choices=OrgLevel.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    urban_rural = models.CharField(
        _("urban/rural class"), max_length=5, choices=UrbanRural.choices
    )
    path = models.CharField(_("path"), max_length=200, db_index=True, editable=False)

    objects = OrgUnitQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("org unit")
        verbose_name_plural = _("org units")

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.level = KIND_LEVEL[self.kind]
        self.path = f"{self.parent.path}/{self.code}" if self.parent is not None else self.code
        super().save(*args, **kwargs)

    def subtree(self) -> models.QuerySet[OrgUnit]:
        """This unit and everything below it."""
        return OrgUnit.objects.filter(subtree_q(self.path))

    def ancestors(self) -> list[OrgUnit]:
        """Units from the root down to this one's parent."""
        codes = self.path.split("/")[:-1]
        by_code = {o.code: o for o in OrgUnit.objects.filter(code__in=codes)}
        return [by_code[c] for c in codes if c in by_code]


class ResidentCount(TypedDict):
    """The annotation :func:`renkou.register.search.annotate_resident_counts` puts on
    units (for typing: ``WithAnnotations[OrgUnit, ResidentCount]``)."""

    residents: int
