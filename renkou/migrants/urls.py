from django.urls import path

from renkou.core.file_imports import import_urls

from . import views
from .file_imports import ARRIVALS, DEPARTURES
from .models import Box, Direction

app_name = "migrants"

urlpatterns = [
    path("", views.index, name="index"),
    path("inflow/", views.spell_list, {"direction": Direction.INFLOW}, name="inflow"),
    path("outflow/", views.spell_list, {"direction": Direction.OUTFLOW}, name="outflow"),
    path("inflow/download/", views.spell_download, {"direction": Direction.INFLOW},
         name="inflow_download"),
    path("outflow/download/", views.spell_download, {"direction": Direction.OUTFLOW},
         name="outflow_download"),
    path("arrival/", views.arrival, name="arrival"),
    path("departure/", views.departure, name="departure"),
    *import_urls(ARRIVALS, "arrival/list/"),
    *import_urls(DEPARTURES, "departure/list/"),
    path("spells/<int:pk>/", views.spell_detail, name="spell"),
    path("spells/<int:pk>/end/", views.spell_end, name="spell_end"),
    path("messages/in/", views.message_list, {"box": Box.INCOMING}, name="inbox"),
    path("messages/out/", views.message_list, {"box": Box.OUTGOING}, name="outbox"),
    path("messages/<int:pk>/", views.message_detail, name="message"),
    path("messages/<int:pk>/answer/", views.message_answer, name="message_answer"),
    path("messages/<int:pk>/reject/", views.message_reject, name="message_reject"),
    path("messages/<int:pk>/close/", views.message_close, name="message_close"),
    path("requests/new/", views.request_new, name="request_new"),
]
urlpatterns += [
    path("exchange/", views.exchange, name="exchange"),
    path("exchange/key/", views.key_create, name="key_create"),
    path("exchange/key.pub", views.public_key_file, name="public_key"),
    path("exchange/peers/", views.peer_add, name="peer_add"),
    path("exchange/export/", views.batch_export, name="batch_export"),
    path("exchange/import/", views.batch_import, name="batch_import"),
    path("exchange/send/", views.exchange_send, name="exchange_send"),
    path("exchange/batches/<int:pk>/file/", views.batch_file, name="batch_file"),
    path("rates/", views.rates, name="rates"),
]
