from django.urls import path

from . import import_views, views

app_name = "core"

urlpatterns = [
    path("audit/", views.audit_log, name="audit"),
    path("jobs/<int:pk>/", import_views.job_page, name="job"),
    path("jobs/<int:pk>/status/", import_views.job_status, name="job_status"),
]
