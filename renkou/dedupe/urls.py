from django.urls import path

from . import views

app_name = "dedupe"

urlpatterns = [
    path("", views.index, name="index"),
]
