from django.urls import path

from . import views

app_name = "orgunits"

urlpatterns = [
    path("", views.org_tree, name="tree"),
    path("<str:code>/", views.org_detail, name="detail"),
]
