"""The ledger's vocabulary (活台帐): the event types and the groups the rules use, once.

No model is defined here, so the generator, the analytics SQL and the quality
relations import the same names as the register's models.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models
from django.utils.translation import gettext_lazy as _

__all__ = ["NOT_PERSONS", "EventType", "LIFE_EVENTS", "RECORDED_EVENTS", "ENTRY_EVENTS", "EXIT_EVENTS",
           "RESIDENCE_EVENTS", "sql_list"]


class EventType(models.TextChoices):
    """Kinds of life event in the ledger (活台帐)."""

    ENROL = "enrol", _("enrolment")  # 建档: the person enters the register as found
    BIRTH = "birth", _("birth")
    DEATH = "death", _("death")
    MARRIAGE = "marriage", _("marriage")
    DIVORCE = "divorce", _("divorce")
    MOVE_IN = "move_in", _("move in")
    MOVE_OUT = "move_out", _("move out")
    MOVE_WITHIN = "move_within", _("move within the county")
    CORRECTION = "correction", _("correction")
    #: 合并重复: this record is a duplicate of the kept record named in the details
    MERGE = "merge", _("merge of a duplicate record")


E = EventType
#: Events of a person's life (what timeliness is measured on): not enrolment,
#: corrections or merges, which are the office's own acts.
LIFE_EVENTS: tuple[str, ...] = tuple(str(t) for t in (E.BIRTH, E.DEATH, E.MARRIAGE, E.DIVORCE,
                                                      E.MOVE_IN, E.MOVE_OUT, E.MOVE_WITHIN))
#: What the statistics count and the generator writes: enrolment and the life events.
RECORDED_EVENTS: tuple[str, ...] = (str(E.ENROL), *LIFE_EVENTS)
#: Events by which a person enters or leaves the county's resident population.
ENTRY_EVENTS: tuple[str, ...] = (str(E.ENROL), str(E.BIRTH), str(E.MOVE_IN))
EXIT_EVENTS: tuple[str, ...] = (str(E.MOVE_OUT), str(E.DEATH))
#: Events that set where a person lives.
RESIDENCE_EVENTS: tuple[str, ...] = (*ENTRY_EVENTS, *EXIT_EVENTS, str(E.MOVE_WITHIN))


def sql_list(types: Iterable[str]) -> str:
    """``('birth', 'death')``: a SQL list of event types (constants of this module only)."""
    return "(" + ", ".join(f"'{t}'" for t in types) + ")"


#: Person statuses (``PersonStatus`` values) of records that are no person of the register
#: at any date: a duplicate merged into the record kept for the person (the kept record
#: stands for the person over the whole history, 挤干水分) and a record whose entry was
#: voided. The statistics, the person exports, the home counts, the scorecard and the
#: parents' children all leave them out.
NOT_PERSONS: tuple[str, ...] = ("merged", "void")
