from django.urls import path

from . import views

app_name = "tiny"

urlpatterns = [path("", views.index, name="index")]
