from django.urls import path

from . import job_views, views

app_name = "core"

urlpatterns = [
    path("audit/", views.audit_log, name="audit"),
    path("audit/export.<str:fmt>", views.audit_export, name="audit_export"),
    path("jobs/", job_views.job_list, name="jobs"),
    path("jobs/<int:pk>/", job_views.job_page, name="job"),
    path("jobs/<int:pk>/status/", job_views.job_status, name="job_status"),
    path("jobs/<int:pk>/again/", job_views.job_again, name="job_again"),
    path("jobs/<int:pk>/download/", job_views.job_download, name="job_download"),
]
