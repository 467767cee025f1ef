"""The platform registry: what each renkou app adds, declared on its ``AppConfig``.

An app is a package with an ``AppConfig`` that subclasses :class:`PlatformApp`
and says what it plugs in — nothing central is edited to add one (after
NetBox's ``netbox/registry.py`` and ``navigation/menu.py``)::

    class MigrantsConfig(PlatformApp):
        name = "renkou.migrants"
        url_prefix = "migrants/"                 # includes renkou.migrants.urls there
        api_prefix = "/migrants"                 # mounts renkou.migrants.api:router
        capabilities = (CapabilitySpec("exchange_migrants", _("…"), roles=(Role.COUNTY_OFFICER,)),)
        menu = (MenuEntry(_("Migrants"), "migrants:index", "exchange_migrants", order=70),)
        commands = ("migrants",)                 # its management commands, for ``renkou help``
        demo_order = 50                          # ``renkou demo`` runs renkou.migrants.demo:prepare_demo
        dashboard_order = 70                     # home-page panels: renkou.migrants.dashboard:PANELS

``renkou/core`` reads these lazily from Django's app registry, so it imports
no domain app; ``python -m renkou.core.registry`` (or ``renkou help --apps``)
lists every app with what it registers.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any

from django.apps import AppConfig, apps

__all__ = [
    "CapabilitySpec", "MenuEntry", "PlatformApp", "platform_apps", "capability_specs",
    "role_capabilities", "menu_entries", "url_patterns", "api_routers", "demo_steps",
    "dashboard_panel_specs", "describe",
]


@dataclass(frozen=True)
class CapabilitySpec:
    """Something a role may do: its code (what views and endpoints ask for), a label
    for people, and the roles that have it."""

    code: str
    label: Any
    roles: tuple[str, ...] = ()


@dataclass(frozen=True)
class MenuEntry:
    """A link in the top menu, shown to users whose role grants ``capability``."""

    label: Any
    url_name: str
    capability: str
    order: int = 100


@dataclass(frozen=True)
class DemoStep:
    """One app's preparation of the fresh demo county (``prepare_demo(stdout)``)."""

    app: str
    order: int
    run: Callable[[Any], None] = field(compare=False)


class PlatformApp(AppConfig):
    """Base of every renkou app's ``AppConfig``: the class attributes say what it adds.

    - ``url_prefix``: where ``<app>.urls`` is included ("" for the site root; ``None``: no pages);
    - ``api_prefix``, ``api_tags``: where ``<app>.<api_module>:router`` (default ``api``) is
      mounted in the JSON API;
    - ``capabilities``: the :class:`CapabilitySpec` it defines and the roles that hold them;
    - ``menu``: its :class:`MenuEntry` links;
    - ``commands``: the names of its management commands (``renkou help`` groups them);
    - ``audit_object_types``: ``(code, label)`` of each object type it writes to the access
      log (the second argument of ``audit.record``), so the log page names them for people;
    - ``demo_order``: runs ``<app>.demo:prepare_demo`` in ``renkou demo``, smallest first;
    - ``file_imports``: its imports from a file in the browser, ``<app>.file_imports``'s
      ``FILE_IMPORTS`` (:class:`renkou.core.file_imports.FileImport`), when true;
    - ``background_jobs``: its long actions run by the worker, ``<app>.jobs``'s ``JOBS``
      (:class:`renkou.core.jobs.JobKind`), when true;
    - ``dashboard_order``: its panels on the home page, ``<app>.<dashboard_module>``'s
      ``PANELS`` (:class:`renkou.core.dashboard.PanelSpec`), placed by this order, smallest
      first (``None``: no panel).
    """

    url_prefix: str | None = None
    api_prefix: str | None = None
    api_module: str = "api"
    api_tags: tuple[str, ...] = ()
    capabilities: tuple[CapabilitySpec, ...] = ()
    menu: tuple[MenuEntry, ...] = ()
    commands: tuple[str, ...] = ()
    audit_object_types: tuple[tuple[str, Any], ...] = ()
    demo_order: int | None = None
    file_imports: bool = False
    background_jobs: bool = False
    dashboard_order: int | None = None
    dashboard_module: str = "dashboard"

    def submodule(self, name: str) -> Any:
        """The module ``<app>.<name>`` (``api``, ``demo``, …)."""
        return import_module(f"{self.name}.{name}")


def platform_apps() -> list[PlatformApp]:
    """The installed renkou apps, in ``INSTALLED_APPS`` order."""
    return [a for a in apps.get_app_configs() if isinstance(a, PlatformApp)]


def capability_specs() -> dict[str, CapabilitySpec]:
    """Every capability an app declares, by code; a code declared twice is an error."""
    specs: dict[str, CapabilitySpec] = {}
    for app in platform_apps():
        for spec in app.capabilities:
            if spec.code in specs:
                raise ValueError(f"capability {spec.code!r} is declared twice ({app.name})")
            specs[spec.code] = spec
    return specs


@functools.cache
def role_capabilities() -> dict[str, frozenset[str]]:
    """Role → the capability codes it holds, from every app's declarations."""
    held: dict[str, set[str]] = {}
    for spec in capability_specs().values():
        for role in spec.roles:
            held.setdefault(role, set()).add(spec.code)
    return {role: frozenset(codes) for role, codes in held.items()}


@functools.cache
def menu_entries() -> tuple[MenuEntry, ...]:
    """Every app's menu links, by ``order`` (then app order); read once, as every page
    draws the menu."""
    entries = [entry for app in platform_apps() for entry in app.menu]
    return tuple(sorted(entries, key=lambda e: e.order))


def url_patterns() -> list[Any]:
    """One ``include`` per app with pages; the site root ("") last."""
    from django.urls import include, path

    mounted = [(a.url_prefix, a.name) for a in platform_apps() if a.url_prefix is not None]
    mounted.sort(key=lambda m: m[0] == "")
    return [path(prefix, include(f"{name}.urls")) for prefix, name in mounted]


def api_routers() -> list[tuple[str, Any, list[str]]]:
    """``(prefix, router, tags)`` of every app with an API."""
    return [(a.api_prefix, a.submodule(a.api_module).router, list(a.api_tags or (a.label,)))
            for a in platform_apps() if a.api_prefix is not None]


@functools.cache
def file_imports() -> dict[str, Any]:
    """Every app's imports from a file, by kind; a kind declared twice is an error."""
    found: dict[str, Any] = {}
    for app in platform_apps():
        if not app.file_imports:
            continue
        for spec in app.submodule("file_imports").FILE_IMPORTS:
            if spec.kind in found:
                raise ValueError(f"file import {spec.kind!r} is declared twice ({app.name})")
            found[spec.kind] = spec
    return found


@functools.cache
def audit_object_types() -> dict[str, Any]:
    """Object type → its label, for every type an app writes to the access log; a type
    declared twice is an error. A background job is logged under its kind, so each job
    kind not declared as a type is named by its title."""
    found: dict[str, Any] = {}
    for app in platform_apps():
        for code, label in app.audit_object_types:
            if code in found:
                raise ValueError(f"log object type {code!r} is declared twice ({app.name})")
            found[code] = label
    for kind, spec in job_kinds().items():
        found.setdefault(kind, spec.title)
    return found


@functools.cache
def job_kinds() -> dict[str, Any]:
    """Every app's background jobs, by kind; a kind declared twice is an error."""
    found: dict[str, Any] = {}
    for app in platform_apps():
        if not app.background_jobs:
            continue
        for kind in app.submodule("jobs").JOBS:
            if kind.kind in found:
                raise ValueError(f"background job {kind.kind!r} is declared twice ({app.name})")
            found[kind.kind] = kind
    return found


@functools.cache
def dashboard_panel_specs() -> tuple[tuple[str, Any], ...]:
    """``(app label, PanelSpec)`` of every app's home-page panels: apps by
    ``dashboard_order``, each app's panels in the order it lists them."""
    with_panels = sorted((a for a in platform_apps() if a.dashboard_order is not None),
                         key=lambda a: a.dashboard_order or 0)
    return tuple((app.label, spec) for app in with_panels
                 for spec in app.submodule(app.dashboard_module).PANELS)


def demo_steps() -> list[DemoStep]:
    """The apps' demo preparations, in their order."""
    steps = [DemoStep(a.name, a.demo_order, a.submodule("demo").prepare_demo)
             for a in platform_apps() if a.demo_order is not None]
    return sorted(steps, key=lambda s: s.order)


def describe(stream_write: Callable[[str], Any] = print) -> None:
    """Write each app and what it registers (``python -m renkou.core.registry``)."""
    roles = role_capabilities()
    for app in platform_apps():
        stream_write(f"{app.label}  ({app.name}) — {app.verbose_name}")
        if app.url_prefix is not None:
            stream_write(f"    pages      /{app.url_prefix}")
        if app.api_prefix is not None:
            stream_write(f"    api        /api{app.api_prefix if app.api_prefix != '/' else ''}")
        for spec in app.capabilities:
            holders = sorted(r for r, codes in roles.items() if spec.code in codes)
            stream_write(f"    capability {spec.code}: {', '.join(holders) or '-'}")
        for entry in app.menu:
            stream_write(f"    menu       {entry.url_name} ({entry.capability}, order {entry.order})")
        if app.commands:
            stream_write(f"    commands   {', '.join(app.commands)}")
        if app.demo_order is not None:
            stream_write(f"    demo step  {app.name}.demo (order {app.demo_order})")
        if app.dashboard_order is not None:
            stream_write(f"    home page  {app.name}.{app.dashboard_module} "
                         f"(order {app.dashboard_order})")


if __name__ == "__main__":  # pragma: no cover - a listing for people
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "renkou.settings")
    django.setup()
    # run as __main__, this file is a second copy of the module: ask the one the apps use
    from renkou.core import registry

    registry.describe()
