"""The person picker's JSON answer (``/persons/pick/?q=``), for ``renkou.js``.

Thin: the capability check, then :func:`renkou.register.pickers.pick_persons`. Never
cached: it lists persons. A lookup of a parent outside the user's units logs itself
there; once the user has made too many in the hour the answer is 429 with the reason.
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from renkou.accounts.permissions import Capability, requires

from .pickers import PARENT_SEX, pick_persons


@requires(Capability.VIEW_REGISTER)
@require_GET
@never_cache
def pick_person(request: HttpRequest) -> JsonResponse:
    """``q``: name, pinyin initials, full ID number or person number; ``sex``: M or F
    (narrows a name search); ``parent``: mother or father (a full ID number may then
    find a parent registered outside the user's units)."""
    parent = request.GET.get("parent") or None
    picked = pick_persons(request.user, request.GET.get("q", ""),
                          sex=request.GET.get("sex") or None,
                          parent=parent if parent in PARENT_SEX else None)
    return JsonResponse(picked.as_dict(), status=429 if picked.refused else 200,
                        json_dumps_params={"ensure_ascii": False})
