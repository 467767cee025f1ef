"""Org-subtree scoping of querysets, defined once for every model that needs it.

``Model.objects.visible_to(user)`` is what any page, API endpoint or export starts
from: rows whose org unit lies in the user's subtree, and none at all when the
user's role does not grant the capability the model requires (a statistician gets
no person rows however it asks). Superusers see everything.
"""

from __future__ import annotations

from django.db import models

__all__ = ["OrgScopedQuerySet", "user_org_path", "subtree_q", "subtree_sql", "in_subtree"]


def user_org_path(user) -> str | None:
    """The path of the user's org unit; ``None`` when unrestricted (superuser)."""
    if user.is_superuser:
        return None
    org = getattr(user, "org", None)
    return org.path if org is not None else ""


def subtree_q(path: str, lookup: str = "path") -> models.Q:
    """Rows whose org path (``lookup``, e.g. ``"org__path"``) is ``path`` or lies below it.

    The subtree filter, once: "starts with <path>/" written as a range that an ordinary
    B-tree index answers ("0" is the character after "/").
    """
    return models.Q(**{lookup: path}) | models.Q(**{f"{lookup}__gte": path + "/",
                                                   f"{lookup}__lt": path + "0"})


def subtree_sql(column: str, path: str, placeholder: str = "%s") -> tuple[str, list[str]]:
    """The same filter as raw SQL on ``column`` (Django's ``%s`` or DuckDB's ``?``
    placeholders): ``(sql, params)``."""
    p = placeholder
    return f"({column} = {p} OR ({column} >= {p} AND {column} < {p}))", [path, path + "/", path + "0"]


def in_subtree(path: str, root: str) -> bool:
    """Whether the org path ``path`` is ``root`` or lies below it (the same rule in Python)."""
    return path == root or path.startswith(root + "/")


class OrgScopedQuerySet(models.QuerySet):
    """A queryset whose model lives in the org tree.

    Subclasses set ``org_path_lookup`` (the lookup from the model to an org unit's
    ``path``) and ``required_capability``.
    """

    org_path_lookup: str = "path"
    required_capability: str | tuple[str, ...] = ()

    def visible_to(self, user) -> OrgScopedQuerySet:
        from renkou.accounts.permissions import has_capability

        needed = self.required_capability
        needed = (needed,) if isinstance(needed, str) else needed
        if not user.is_authenticated or (needed and not any(has_capability(user, c) for c in needed)):
            return self.none()
        path = user_org_path(user)
        if path is None:
            return self
        if path == "":
            return self.none()  # a user bound to no org unit sees nothing
        return self.filter(subtree_q(path, self.org_path_lookup))
