from django.urls import path

from . import views

app_name = "analytics"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("export/<str:fmt>/", views.download, name="download"),
    path("refresh/", views.start_refresh, name="refresh"),
    path("report/", views.start_report, name="report"),
]
