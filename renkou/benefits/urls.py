from django.urls import path

from renkou.core.file_imports import import_urls

from . import views
from .file_imports import WALK_INS

app_name = "benefits"

urlpatterns = [
    path("", views.index, name="index"),
    path("programmes/<slug:code>/", views.programme_detail, name="programme"),
    path("programmes/<slug:code>/versions/", views.version_add, name="version_add"),
    path("screen/", views.screen, name="screen"),
    path("screen/open/", views.open_bulk, name="open_bulk"),
    path("screen/start/", views.screen_start, name="screen_start"),
    path("applications/", views.applications, name="applications"),
    path("applications/walk-in/", views.walk_in, name="walk_in"),
    *import_urls(WALK_INS, "applications/walk-in/list/"),
    path("applications/<int:pk>/", views.application_detail, name="application"),
    path("applications/<int:pk>/decide/", views.application_decide, name="decide"),
    path("applications/<int:pk>/bank/", views.application_bank, name="bank"),
    path("attachments/<int:pk>/", views.attachment, name="attachment"),
    path("notices/", views.notices, name="notices"),
    path("notices/open/", views.notice_open, name="notice_open"),
    path("notices/<int:pk>/", views.notice_detail, name="notice"),
    path("notices/<int:pk>/print/", views.notice_print, name="notice_print"),
    path("notices/<int:pk>/notice.pdf", views.notice_pdf, name="notice_pdf"),
    path("notices/<int:pk>/objections/", views.objection_add, name="objection_add"),
    path("objections/<int:pk>/resolve/", views.objection_resolve, name="objection_resolve"),
    path("rosters/", views.rosters, name="rosters"),
    path("rosters/new/", views.roster_new, name="roster_new"),
    path("rosters/<int:pk>/", views.roster_detail, name="roster"),
    path("rosters/<int:pk>/roster.xlsx", views.roster_xlsx, name="roster_xlsx"),
    path("rosters/<int:pk>/roster.pdf", views.roster_pdf, name="roster_pdf"),
    path("rosters/<int:pk>/bank.csv", views.roster_bank, name="roster_bank"),
    path("rosters/<int:pk>/paid/", views.roster_paid, name="roster_paid"),
    path("requalify/", views.requalify, name="requalify"),
    path("figures/", views.figures, name="figures"),
    path("persons/<int:pk>/", views.person_history, name="person"),
]
