from django.shortcuts import render

from renkou.accounts.permissions import requires


@requires("view_tiny")
def index(request):
    return render(request, "base.html", {})
