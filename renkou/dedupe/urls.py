from django.urls import path

from . import views

app_name = "dedupe"

urlpatterns = [
    path("", views.index, name="index"),
    path("detect/", views.start_detection, name="detect"),
    path("pairs/<int:pk>/", views.pair, name="pair"),
    path("pairs/<int:pk>/decide/", views.decide, name="decide"),
]
