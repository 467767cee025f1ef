from django.urls import path

from renkou.core.file_imports import import_urls

from . import views
from .file_imports import ORGUNITS

app_name = "orgunits"

urlpatterns = [
    path("", views.org_tree, name="tree"),
    *import_urls(ORGUNITS, "import/"),
    path("<str:code>/", views.org_detail, name="detail"),
]
