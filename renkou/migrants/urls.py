from django.urls import path

from . import views

app_name = "migrants"

urlpatterns = [
    path("", views.index, name="index"),
]
