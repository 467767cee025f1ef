from django.urls import path

from . import views

app_name = "services"

urlpatterns = [
    path("", views.index, name="index"),
    path("person/<int:pk>/", views.person, name="person"),
    path("person/<int:pk>/summary/", views.summary, name="summary"),
    path("person/<int:pk>/consent/", views.consent_new, name="consent_new"),
    path("person/<int:pk>/request/", views.request_new, name="request_new"),
    path("person/<int:pk>/encounter/", views.encounter_choose, name="encounter_choose"),
    path("person/<int:pk>/encounter/<str:code>/", views.encounter_new, name="encounter_new"),
    path("consents/<int:pk>/withdraw/", views.consent_withdraw, name="consent_withdraw"),
    path("requests/<int:pk>/close/", views.request_close, name="request_close"),
    path("encounters/<int:pk>/", views.encounter_detail, name="encounter"),
    path("follow-ups/", views.follow_up_list, name="follow_ups"),
    path("follow-ups/<int:pk>/close/", views.follow_up_close, name="follow_up_close"),
    path("catalogue/", views.catalogue, name="catalogue"),
    path("figures/", views.figures, name="figures"),
]
