from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render

from .models import OrgUnit


@login_required
def org_tree(request):
    return render(request, "orgunits/tree.html", {"roots": OrgUnit.objects.filter(parent=None)})


@login_required
def org_detail(request, code: str):
    unit = get_object_or_404(OrgUnit, code=code)
    return render(request, "orgunits/detail.html", {"unit": unit})
