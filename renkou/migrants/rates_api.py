"""The exchange rates in the JSON API (mounted at ``/api/migrants/rates``): per counterpart
office and in total, for a period, of the caller's subtree (:mod:`renkou.migrants.rates`).
Aggregates only, so statisticians read them too; a period that cannot be read answers 400
with the reason in the caller's language."""

from __future__ import annotations

import datetime as dt

from ninja import Field, Path, Query, Router, Schema
from ninja.errors import HttpError

from renkou.analytics.periods import PeriodError
from renkou.core.api import READ_ERRORS, ApiRequest, Detail, described, reading
from renkou.core.api import lazy_str as _

from .permissions import VIEW_MIGRANT_RATES
from .rates import exchange_rates, report_json

router = Router()

CODE = r"^\d{6}(\d{3}){0,2}$"
PERIOD = Query(..., description=_("the period: a year (2026), a half-year (2026H1), a quarter "
                                  "(2026Q3), a month (2026-05) or a statistical year (SY2026)"))
ERRORS = {400: Detail, **READ_ERRORS}


class RateOut(Schema):
    model_config = described(_("A rate with its numerator, denominator and 95% interval."))

    numerator: int = Field(description=_("the numerator"))
    denominator: int = Field(description=_("the denominator"))
    value: float | None = Field(description=_("proportion (0–1); null when the denominator "
                                              "is 0"))
    lower: float | None = Field(description=_("95% Wilson interval, lower limit"))
    upper: float | None = Field(description=_("95% Wilson interval, upper limit"))


class RequestsOut(Schema):
    model_config = described(_("Verification requests (协查) of one direction and their "
                               "answers."))

    count: int = Field(description=_("requests received (they asked us) or sent (we asked "
                                     "them) in the period"))
    answered: RateOut = Field(description=_("answered rate (反馈率): answered / requests"))
    in_time: RateOut = Field(description=_("answered-in-time rate (及时反馈率): answered by the "
                                           "deadline / requests"))
    rejected: int = Field(description=_("requests refused with a reason"))
    overdue: int = Field(description=_("requests still open whose deadline has passed (today)"))
    median_days: float | None = Field(description=_("median days from receiving (or sending) "
                                                    "to the answer; null when none was "
                                                    "answered"))


class CounterpartyOut(Schema):
    model_config = described(_("The rates with one counterpart office, or in total."))

    code: str = Field(description=_("the counterpart office's division code (12 digits; empty "
                                    "for the total)"))
    name: str = Field(description=_("the counterpart office's name"))
    arrivals: int = Field(description=_("arrivals of the period whose hukou place it is"))
    notified: RateOut = Field(description=_("notified rate (通报率): arrivals notified within "
                                            "3 working days / arrivals"))
    received: RequestsOut = Field(description=_("its requests to us, answered by us"))
    sent: RequestsOut = Field(description=_("our requests to it, answered by it"))
    records: RateOut = Field(description=_("record-opened rate (建档率): arrivals known with an "
                                           "inflow record opened / arrivals known"))


class ScopeOut(Schema):
    model_config = described(_("Whose figures these are."))

    code: str = Field(description=_("the caller's unit (empty: the whole office)"))
    name: str = Field(description=_("its name"))


class RatesOut(Schema):
    model_config = described(_("The exchange rates of a period, per counterpart office and in "
                               "total."))

    period: str = Field(description=_("the period's label"))
    start: dt.date = Field(description=_("its first day"))
    end: dt.date = Field(description=_("its last day"))
    today: dt.date = Field(description=_("the day overdue requests are counted on"))
    scope: ScopeOut = Field(description=_("the unit whose subtree the figures cover"))
    counterparties: list[CounterpartyOut] = Field(description=_("one entry per counterpart "
                                                                "office, by code"))
    total: CounterpartyOut = Field(description=_("all counterpart offices together"))


def _report(request: ApiRequest, period: str, counterparty: str | None = None) -> dict:
    try:
        return report_json(exchange_rates(period, request.auth, counterparty=counterparty))
    except PeriodError as bad:
        raise HttpError(400, str(bad)) from None


@router.get("", auth=reading(VIEW_MIGRANT_RATES), response={200: RatesOut, **ERRORS},
            summary=_("Exchange rates of a period (通报率, 反馈率, 建档率 …)"),
            description=_("Per counterpart office and in total, both directions: arrivals "
                          "notified in time, requests received and answered (in time, overdue, "
                          "median days), our requests answered by the others, records opened; "
                          "of the caller's subtree. A period that cannot be read answers 400."))
def rates(request: ApiRequest, period: str = PERIOD) -> dict:
    return _report(request, period)


@router.get("/{code}", auth=reading(VIEW_MIGRANT_RATES), response={200: CounterpartyOut, **ERRORS},
            summary=_("Exchange rates with one counterpart office"),
            description=_("The rates of a period with one counterpart office (its county's "
                          "division code, 6, 9 or 12 digits), of the caller's subtree."))
def counterparty_rates(request: ApiRequest,
                       code: str = Path(..., pattern=CODE,
                                        description=_("the counterpart office's division code")),
                       period: str = PERIOD) -> dict:
    return _report(request, period, code)["total"]
