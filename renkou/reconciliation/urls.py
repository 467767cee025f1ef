from django.urls import path

from renkou.core.file_imports import import_urls

from . import views
from .file_imports import DEPARTMENT_LISTS, SURVEYS

app_name = "reconciliation"

urlpatterns = [
    path("", views.index, name="index"),
    *import_urls(SURVEYS, "surveys/new/"),
    path("surveys/<int:pk>/", views.survey_detail, name="survey"),
    *import_urls(DEPARTMENT_LISTS, "lists/new/"),
    path("lists/<int:pk>/", views.list_detail, name="list"),
    path("worklist/", views.worklist, name="worklist"),
    path("worklist/export/", views.worklist_export, name="worklist_export"),
    path("worklist/<int:pk>/", views.work_item, name="work_item"),
    path("crosschecks/", views.crosschecks, name="crosschecks"),
    path("crosschecks/new/", views.crosscheck_new, name="crosscheck_new"),
    path("crosschecks/<int:pk>/reply/", views.crosscheck_reply, name="crosscheck_reply"),
]
