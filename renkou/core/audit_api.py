"""``GET /api/audit``: the access and change log in the JSON API, for auditors
(mounted by :class:`renkou.core.apps.CoreConfig` at ``/api/audit``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Query, Router, Schema

from renkou.accounts.permissions import Capability

from .api import MAX_PAGE, NO_NUL, READ_ERRORS, ApiRequest, paginate, reading
from .models import AuditAction
from .services import filter_audit_entries, visible_audit_entries

#: Dates the log filter accepts (a wider range could not be turned into a time).
AUDIT_FROM = Query(None, alias="from", ge=dt.date(1900, 1, 1), le=dt.date(9998, 12, 31),
                   description="entries on or after this day")
AUDIT_TO = Query(None, alias="to", ge=dt.date(1900, 1, 1), le=dt.date(9998, 12, 31),
                 description="entries on or before this day")

router = Router()


class AuditEntryOut(Schema):
    time: dt.datetime
    user: str
    role: str
    action: AuditAction
    object_type: str
    object_id: str = Field(description="for a person, its person_id")
    client_address: str | None
    channel: str
    details: dict[str, Any]


class AuditPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[AuditEntryOut]


def _entry(e: Any) -> dict[str, Any]:
    return {"time": e.time, "user": e.username, "role": e.role, "action": e.action,
            "object_type": e.object_type, "object_id": e.object_id,
            "client_address": e.client_address, "channel": e.channel, "details": e.details or {}}


@router.get("", auth=reading(Capability.VIEW_AUDIT),
            response={200: AuditPage, **READ_ERRORS}, summary="The access and change log",
                  description="For auditors: entries of users in the auditor's subtree (and "
                              "those attributed to no user), newest first, with the log page's "
                              "filters. Other roles answer 403.")
def list_audit_entries(
    request: ApiRequest,
    user: str = Query("", max_length=150, pattern=NO_NUL, description="username"),
    action: AuditAction | None = None,
    object_type: str = Query("", max_length=32, pattern=NO_NUL),
    object_id: str = Query("", max_length=64, pattern=NO_NUL, description="a person's person_id"),
    date_from: dt.date | None = AUDIT_FROM,
    date_to: dt.date | None = AUDIT_TO,
    page: int = Query(1, ge=1, le=MAX_PAGE),
    page_size: int = Query(50, ge=1, le=500),
) -> dict:
    entries = filter_audit_entries(
        visible_audit_entries(request.auth), username=user, action=action or "",
        object_type=object_type, object_id=object_id, date_from=date_from, date_to=date_to,
    )
    return paginate(entries, page, page_size, _entry)
