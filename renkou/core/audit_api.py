"""``GET /api/audit``: the access and change log in the JSON API, for auditors
(mounted by :class:`renkou.core.apps.CoreConfig` at ``/api/audit``)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Field, Query, Router, Schema

from renkou.accounts.permissions import Capability

from .api import MAX_PAGE, NO_NUL, READ_ERRORS, ApiRequest, described, paginate, reading
from .api import lazy_str as _
from .models import AuditAction
from .services import filter_audit_entries, visible_audit_entries

#: Dates the log filter accepts (a wider range could not be turned into a time).
AUDIT_FROM = Query(None, alias="from", ge=dt.date(1900, 1, 1), le=dt.date(9998, 12, 31),
                   description=_("entries on or after this day (YYYY-MM-DD)"))
AUDIT_TO = Query(None, alias="to", ge=dt.date(1900, 1, 1), le=dt.date(9998, 12, 31),
                 description=_("entries on or before this day (YYYY-MM-DD)"))
ACTION = Query(None, description=_("only entries of this action"))

router = Router()


class AuditEntryOut(Schema):
    model_config = described(_("One entry of the access and change log: who did what to "
                               "which record, when, from where."))

    time: dt.datetime = Field(description=_("when it happened"))
    user: str = Field(description=_("the user name at the time (empty: no user, e.g. a "
                                    "failed log-in or a batch command)"))
    role: str = Field(description=_("the user's role at the time, e.g. village_clerk"))
    action: AuditAction = Field(description=_("what was done"))
    object_type: str = Field(description=_("the kind of record, e.g. person or household"))
    object_id: str = Field(description=_("the record's number; for a person, its person_id"))
    client_address: str | None = Field(description=_("the client's IP address (null: none, "
                                                     "e.g. a batch command)"))
    channel: str = Field(description=_("how it was done: web, api or cli"))
    details: dict[str, Any] = Field(description=_("what else the log keeps about it, e.g. "
                                                  "the number of rows exported"))


class AuditPage(Schema):
    model_config = described(_("One page of log entries, newest first."))

    count: int = Field(description=_("entries found, on all pages"))
    page: int = Field(description=_("this page's number, from 1"))
    page_size: int = Field(description=_("rows per page"))
    items: list[AuditEntryOut] = Field(description=_("the entries of this page"))


def _entry(e: Any) -> dict[str, Any]:
    return {"time": e.time, "user": e.username, "role": e.role, "action": e.action,
            "object_type": e.object_type, "object_id": e.object_id,
            "client_address": e.client_address, "channel": e.channel, "details": e.details or {}}


@router.get("", auth=reading(Capability.VIEW_AUDIT),
            response={200: AuditPage, **READ_ERRORS}, summary=_("The access and change log"),
            description=_("For auditors: entries of users in the auditor's subtree (and those "
                          "attributed to no user), newest first, with the log page's filters. "
                          "Other roles answer 403."))
def list_audit_entries(
    request: ApiRequest,
    user: str = Query("", max_length=150, pattern=NO_NUL,
                      description=_("only this user's entries (a user name)")),
    action: AuditAction | None = ACTION,
    object_type: str = Query("", max_length=32, pattern=NO_NUL,
                             description=_("only entries on this kind of record, e.g. person")),
    object_id: str = Query("", max_length=64, pattern=NO_NUL,
                           description=_("only entries on this record; for a person, its "
                                         "person_id")),
    date_from: dt.date | None = AUDIT_FROM,
    date_to: dt.date | None = AUDIT_TO,
    page: int = Query(1, ge=1, le=MAX_PAGE, description=_("page number, from 1")),
    page_size: int = Query(50, ge=1, le=500, description=_("rows per page, at most 500")),
) -> dict:
    entries = filter_audit_entries(
        visible_audit_entries(request.auth), username=user, action=action or "",
        object_type=object_type, object_id=object_id, date_from=date_from, date_to=date_to,
    )
    return paginate(entries, page, page_size, _entry)
