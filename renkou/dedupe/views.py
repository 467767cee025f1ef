"""Pages of duplicate detection: thin views over :mod:`renkou.dedupe.services`.

The review queue (疑似重复) lists the pending candidate pairs of the user's subtree,
most probable first, with ID numbers masked; the pair page shows both records side
by side with the fields that agreed, and takes the decision: "same person" (merge,
choosing the kept record), "different persons", or, for a merged pair, un-merge.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from renkou.accounts.permissions import requires
from renkou.core.job_views import start_and_follow

from . import services
from .jobs import DETECTION
from .models import CandidatePair, DetectionRun, PairStatus
from .permissions import MERGE_DUPLICATES


def _pair_or_404(request: HttpRequest, pk: int) -> CandidatePair:
    try:
        return services.pair_for(request.user, pk)
    except CandidatePair.DoesNotExist:
        raise Http404 from None


@requires(MERGE_DUPLICATES)
def index(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status") or PairStatus.PENDING
    if status not in PairStatus.values:
        status = PairStatus.PENDING
    pairs = services.review_queue(request.user, status=status)
    page = Paginator(pairs, 50).get_page(request.GET.get("page"))
    return render(request, "dedupe/index.html", {
        "page": page, "status": status, "statuses": PairStatus.choices,
        "threshold": services.DEFAULT_THRESHOLD,
        "last_run": DetectionRun.objects.filter(org=request.user.org, finished_at__isnull=False)
        .order_by("-finished_at").first(),
    })


@requires(MERGE_DUPLICATES)
def pair(request: HttpRequest, pk: int) -> HttpResponse:
    candidate = _pair_or_404(request, pk)
    return render(request, "dedupe/pair.html", {
        "pair": candidate, "rows": services.compare(candidate),
        "threshold": services.DEFAULT_THRESHOLD,
        "last_run": DetectionRun.objects.filter(org=request.user.org, finished_at__isnull=False)
        .order_by("-finished_at").first(),
    })


@require_POST
@requires(MERGE_DUPLICATES)
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    candidate = _pair_or_404(request, pk)
    action = request.POST.get("action")
    reason = (request.POST.get("reason") or "").strip()
    try:
        if action == "same":
            kept_id = request.POST.get("kept")
            kept = {str(candidate.person_a_id): candidate.person_a,
                    str(candidate.person_b_id): candidate.person_b}.get(kept_id or "")
            if kept is None:
                raise ValidationError({"kept": _("choose the record to keep")})
            services.decide_same(candidate, kept, request.user, reason=reason)
            messages.success(request, _("merged: %(dup)s is now a duplicate of %(kept)s") % {
                "dup": candidate.person_b_id if kept.pk == candidate.person_a_id
                else candidate.person_a_id, "kept": kept.pk})
        elif action == "different":
            services.decide_different(candidate, request.user)
            messages.success(request, _("recorded as different persons; this pair will not be "
                                        "proposed again"))
        elif action == "unmerge":
            services.undo_merge(candidate, request.user, reason=reason or _("un-merge"))
            messages.success(request, _("the merge was undone; both records are restored"))
        else:
            raise ValidationError({"action": _("unknown action")})
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
    return redirect("dedupe:pair", pk=candidate.pk)


@requires(MERGE_DUPLICATES)
@require_POST
def start_detection(request: HttpRequest) -> HttpResponse:
    """Run duplicate detection over the user's area, as a background job."""
    return start_and_follow(request, DETECTION)
