"""The home page of every role (工作台): its unit's current state, from panels the apps
contribute.

An app with something to show on the home page sets ``dashboard_order`` on its
``AppConfig`` and lists :class:`PanelSpec` in ``<app>.dashboard``'s ``PANELS``: the
capability a panel needs and the function that builds it from the
:class:`DashboardRequest`. :func:`build_dashboard` calls only the builders whose
capability the user's role holds — a statistician's home never runs a query on person
records, an auditor's only reads the log — in the apps' order, and gathers the open work
(:class:`WorkItem`) of every panel into one list at the top of the page.

A builder keeps to what the page needs to be fast: aggregate queries over the user's
subtree (the models' ``visible_to``), never a query per unit, and stored figures
(indicators, the scorecard) rather than computing them. Core imports no domain app: it
reads the declarations from the registry (:func:`renkou.core.registry.dashboard_panel_specs`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from renkou.accounts.permissions import has_capability

from . import clock, registry

__all__ = ["VIEW_HOME", "Chart", "ChartSeries", "Dashboard", "DashboardRequest", "Figure", "Link", "Panel",
           "PanelSpec", "WorkItem", "build_dashboard"]

#: Open one's home page (every role; declared on core's ``AppConfig``). What the page
#: shows is then decided panel by panel, by the capability each one needs.
VIEW_HOME = "view_home"


@dataclass(frozen=True)
class DashboardRequest:
    """What a panel is built for: the user, the page's query string (a panel may read its
    own parameter, e.g. the statistics' period kind) and today's date."""

    user: Any
    params: Mapping[str, str] = field(default_factory=dict)
    today: dt.date = field(default_factory=clock.today)


@dataclass(frozen=True)
class Figure:
    """One key figure, formatted by the app that computed it: the value and its unit, the
    change against a comparison (signed; in points for rates) and what it compares with.
    ``muted``: drawn greyed (a figure from a small number, shown with ``note``)."""

    label: str
    value: str
    unit: str = ""
    change: str = ""
    change_unit: str = ""
    compared_with: str = ""
    note: str = ""
    muted: bool = False
    url: str = ""

    @property
    def trend(self) -> str:
        """``up``, ``down`` or ``""`` (no change, or none shown), for the arrow drawn."""
        if self.change.startswith("+"):
            return "up"
        if self.change.startswith(("-", "−")):
            return "down"
        return ""


@dataclass(frozen=True)
class WorkItem:
    """Open work waiting for the user (待办): how many, what, and the page where it is
    done. ``overdue`` work is drawn as such."""

    label: str
    count: int
    url: str = ""
    overdue: bool = False


@dataclass(frozen=True)
class Link:
    """A link of a panel; ``current`` marks the chosen one of a switch."""

    label: str
    url: str
    current: bool = False


@dataclass(frozen=True)
class ChartSeries:
    """One series of a :class:`Chart`: ``kind`` ``bar`` or ``line``, on y axis ``axis``
    (0 left, 1 right); a missing value is ``None`` (a gap, never 0)."""

    name: str
    values: Sequence[float | None]
    kind: str = "bar"
    axis: int = 0


@dataclass(frozen=True)
class Chart:
    """A small chart over ``categories`` (drawn by ``renkou/dashboard.js`` with the
    packaged ECharts): one or two y axes, named by ``axes``."""

    title: str
    categories: Sequence[str]
    series: Sequence[ChartSeries]
    axes: Sequence[str] = ("",)

    def data(self) -> dict[str, Any]:
        """JSON-ready, for the page's ``json_script``."""
        return {"title": str(self.title), "categories": [str(c) for c in self.categories],
                "axes": [str(a) for a in self.axes],
                "series": [{"name": str(s.name), "kind": s.kind, "axis": s.axis,
                            "values": list(s.values)} for s in self.series]}


@dataclass
class Panel:
    """One card of the home page.

    ``name`` is unique within its app (the page's element id is ``panel-<app>-<name>``).
    A panel draws, in order, its ``title`` with a ``subtitle`` (the period shown, say) and
    a ``switch`` (links, one ``current``), then ``figures``, ``chart``, ``notes`` (data
    freshness and the like), its app's own ``template`` (rendered with ``panel`` and its
    ``data``) and ``links``. Its ``work`` goes to the page's
    open-work list; a panel with nothing else is not drawn as a card. ``lead`` panels
    come before the open-work list (the register's search box), ``wide`` ones span the
    page.
    """

    name: str
    title: str
    subtitle: str = ""
    figures: list[Figure] = field(default_factory=list)
    work: list[WorkItem] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    switch: list[Link] = field(default_factory=list)
    chart: Chart | None = None
    notes: list[str] = field(default_factory=list)
    template: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    wide: bool = False
    lead: bool = False
    key: str = ""  # set by build_dashboard: "<app label>-<name>"

    @property
    def drawn(self) -> bool:
        """Whether the panel has anything besides its open work to show as a card."""
        return bool(self.figures or self.template or self.chart or self.notes or self.links)


@dataclass(frozen=True)
class PanelSpec:
    """A home-page contribution of an app: ``build`` is called only for users whose role
    holds ``capability`` and returns the panels to draw (none is fine)."""

    capability: str
    build: Callable[[DashboardRequest], Sequence[Panel]]


@dataclass
class Dashboard:
    """The panels of one user's home page, in order, built on ``today``."""

    panels: list[Panel]
    today: dt.date

    @property
    def lead(self) -> list[Panel]:
        return [p for p in self.panels if p.lead and p.drawn]

    @property
    def main(self) -> list[Panel]:
        return [p for p in self.panels if not p.lead and p.drawn]

    @property
    def work(self) -> list[WorkItem]:
        """Every panel's open work, overdue work first (then in panel order)."""
        items = [item for p in self.panels for item in p.work]
        return sorted(items, key=lambda item: not (item.overdue and item.count))

    @property
    def open_work(self) -> int:
        return sum(item.count for item in self.work)

    @property
    def charts(self) -> dict[str, Any]:
        """The chart data of every drawn panel, by panel key (one ``json_script``)."""
        return {p.key: p.chart.data() for p in self.panels if p.chart is not None and p.drawn}

    def panel(self, key: str) -> Panel | None:
        return next((p for p in self.panels if p.key == key), None)


def build_dashboard(user, params: Mapping[str, str] | None = None,
                    today: dt.date | None = None) -> Dashboard:
    """The home page of ``user``: the panels of every app whose capability its role holds."""
    request = DashboardRequest(user=user, params=params or {}, today=today or clock.today())
    panels: list[Panel] = []
    for app_label, spec in registry.dashboard_panel_specs():
        if not has_capability(user, spec.capability):
            continue
        for panel in spec.build(request):
            panel.key = f"{app_label}-{panel.name}"
            panels.append(panel)
    return Dashboard(panels, request.today)
