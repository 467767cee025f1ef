from django.urls import path

from renkou.core.file_imports import import_urls

from . import views
from .file_imports import OFFICE_RULES

app_name = "quality"

urlpatterns = [
    path("", views.index, name="index"),
    path("violations/", views.violations, name="violations"),
    path("worklist/<str:code>/", views.worklist, name="worklist"),
    path("worklist/<str:code>/export/", views.worklist_export, name="worklist_export"),
    path("worklist/<str:code>/print/", views.worklist_print, name="worklist_print"),
    path("worklist/<str:code>/worklist.pdf", views.worklist_pdf, name="worklist_pdf"),
    path("worklist/<str:code>/check/", views.run_check, name="check"),
    path("violations/<int:pk>/resolve/", views.resolve, name="resolve"),
    path("rules/", views.rules, name="rules"),
    *import_urls(OFFICE_RULES, "rules/import/"),
    path("rules/<str:code>/active/", views.rule_active, name="rule_active"),
    path("scorecard/", views.scorecard, name="scorecard"),
    path("scorecard/export/", views.scorecard_export, name="scorecard_export"),
]
