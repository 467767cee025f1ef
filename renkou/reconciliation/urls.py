from django.urls import path

from . import views

app_name = "reconciliation"

urlpatterns = [
    path("", views.index, name="index"),
    path("surveys/new/", views.survey_upload, name="survey_upload"),
    path("surveys/<int:pk>/", views.survey_detail, name="survey"),
    path("lists/new/", views.list_upload, name="list_upload"),
    path("lists/<int:pk>/", views.list_detail, name="list"),
    path("worklist/", views.worklist, name="worklist"),
    path("worklist/export/", views.worklist_export, name="worklist_export"),
    path("worklist/<int:pk>/", views.work_item, name="work_item"),
    path("crosschecks/", views.crosschecks, name="crosschecks"),
    path("crosschecks/new/", views.crosscheck_new, name="crosscheck_new"),
    path("crosschecks/<int:pk>/reply/", views.crosscheck_reply, name="crosscheck_reply"),
]
