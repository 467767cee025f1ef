from django.urls import path

from renkou.core import dashboard_views
from renkou.core.file_imports import import_urls

from . import picker_views, print_views, views
from .file_imports import PERSONS

app_name = "register"

urlpatterns = [
    # the home page of every role is the platform's (renkou.core.dashboard); its name stays
    path("", dashboard_views.home, name="home"),
    path("persons/", views.person_search, name="search"),
    path("persons/new/", views.enrol, name="enrol"),
    path("persons/pick/", picker_views.pick_person, name="pick_person"),
    path("persons/export/", views.export, name="export"),
    *import_urls(PERSONS, "persons/import/"),
    path("persons/<int:pk>/", views.person_detail, name="person"),
    path("persons/<int:pk>/events/<slug:kind>/", views.record_event, name="event"),
    path("households/<int:pk>/", views.household_detail, name="household"),
    path("households/<int:pk>/card/", views.household_card, name="household_card"),
    # printed forms (print_views.py)
    path("persons/<int:pk>/card/", print_views.person_card_page, name="person_card"),
    path("persons/<int:pk>/card.pdf", print_views.person_card_pdf, name="person_card_pdf"),
    path("households/<int:pk>/card.pdf", print_views.household_card_pdf,
         name="household_card_pdf"),
]
