"""JSON API of duplicate detection (mounted by :mod:`renkou.core.api` at ``/api/dedupe``): the
candidate pairs (疑似重复) of the review queue, read-only, ID numbers masked.

The same scoping as the review queue (:func:`renkou.dedupe.services.review_queue`): pairs
whose two records both lie in the caller's subtree; roles that do not review duplicates
answer 403. Deciding a pair stays on the pair page, which shows (and logs) both records.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any, cast

from django.utils.text import format_lazy
from ninja import Field, Query, Router, Schema

from renkou.core.api import MAX_PAGE, READ_ERRORS, ApiRequest, described, paginate, reading
from renkou.core.api import lazy_str as _
from renkou.register.identity import mask_id_number

from . import services
from .linkage import LEVELS
from .models import CandidatePair, PairStatus
from .permissions import MERGE_DUPLICATES

router = Router()

STATUS = Query(PairStatus.PENDING, description=_("pending (default), same or different"))


class FieldComparisonOut(Schema):
    model_config = described(_("How one field of the two records compares."))

    field: str = Field(description=_("name, id_number, birth_date, sex, mother_name, "
                                     "father_name or org"))
    label: str = Field(description=_("the field's name, in the caller's language"))
    level: str = Field(description=_("the comparison level the model found, e.g. exact, "
                                     "same_pinyin, day_month_swapped; missing when a side "
                                     "has no value"))
    level_label: str = Field(description=_("the level, in the caller's language"))
    agreement: str = Field(description=_("agree, partial, disagree or missing"))
    weight: float | None = Field(description=_("the level's match weight (log2 Bayes "
                                               "factor); null when not scored"))


class PairOut(Schema):
    model_config = described(_("A candidate duplicate pair (疑似重复): two records that may be "
                               "one person."))

    id: int = Field(description=_("the pair's number"))
    person_a: int = Field(description=_("person_id of the earlier record"))
    person_b: int = Field(description=_("person_id of the later record"))
    name_a: str = Field(description=_("name on the earlier record"))
    name_b: str = Field(description=_("name on the later record"))
    id_number_a: str = Field(description=_("ID number of the earlier record, masked: the area "
                                           "code only (the birth date is given)"))
    id_number_b: str = Field(description=_("ID number of the later record, masked: the area "
                                           "code only (the birth date is given)"))
    birth_date_a: dt.date = Field(description=_("date of birth on the earlier record"))
    birth_date_b: dt.date = Field(description=_("date of birth on the later record"))
    org_code_a: str = Field(description=_("registered unit of the earlier record"))
    org_code_b: str = Field(description=_("registered unit of the later record"))
    probability: float = Field(description=_("match probability (0–1)"))
    match_weight: float = Field(description=_("the pair's total match weight (log2 Bayes "
                                              "factor)"))
    status: PairStatus = Field(description=_("pending, same (merged) or different"))
    explanation: list[FieldComparisonOut] = Field(description=_("per compared field"))


class PairPage(Schema):
    model_config = described(_("One page of candidate duplicate pairs, most probable first."))

    count: int = Field(description=_("pairs found, on all pages"))
    page: int = Field(description=_("this page's number, from 1"))
    page_size: int = Field(description=_("rows per page"))
    items: list[PairOut] = Field(description=_("the pairs of this page"))


def _finite(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _explanation(pair: CandidatePair) -> list[dict[str, Any]]:
    rows = []
    for name in services.EXPLANATION_FIELDS:
        info = (pair.explanation or {}).get(name) or {}
        level = info.get("level") or "missing"
        weight = info.get("weight")
        rows.append({"field": name, "label": str(services.FIELD_LABELS[name]), "level": level,
                     "level_label": str(services.LEVEL_LABELS.get(level, level)),
                     "agreement": LEVELS.get((name, level), "missing"),
                     "weight": _finite(weight)})
    return rows


def _pair(pair: CandidatePair) -> dict[str, Any]:
    a, b = pair.person_a, pair.person_b
    return {"id": pair.pk, "person_a": a.pk, "person_b": b.pk, "name_a": a.name, "name_b": b.name,
            "id_number_a": mask_id_number(a.id_number, beside_birth_date=True),
            "id_number_b": mask_id_number(b.id_number, beside_birth_date=True),
            "birth_date_a": a.birth_date, "birth_date_b": b.birth_date,
            "org_code_a": a.registered_org.code, "org_code_b": b.registered_org.code,
            "probability": pair.probability, "match_weight": pair.match_weight,
            "status": pair.status, "explanation": _explanation(pair)}


@router.get("/pairs", auth=reading(MERGE_DUPLICATES),
            response={200: PairPage, **READ_ERRORS},
            summary=_("Candidate duplicate pairs (疑似重复), ID numbers masked"),
            description=cast(str, format_lazy(_(
                "The review queue: pairs whose two records both lie in the caller's subtree, "
                "most probable first, with the per-field comparison the model scored. Pairs at "
                "or above {threshold} count as duplicates. For township and county officers; "
                "other roles answer 403."), threshold=services.DEFAULT_THRESHOLD)))
def list_pairs(
    request: ApiRequest,
    status: PairStatus = STATUS,
    min_probability: float | None = Query(None, ge=0, le=1,
                                          description=_("only pairs at or above this "
                                                        "probability")),
    page: int = Query(1, ge=1, le=MAX_PAGE, description=_("page number, from 1")),
    page_size: int = Query(50, ge=1, le=500, description=_("rows per page, at most 500")),
) -> dict:
    pairs = services.review_queue(request.auth, status=status, min_probability=min_probability)
    return paginate(pairs, page, page_size, _pair)
