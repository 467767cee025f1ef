"""The JSON API (django-ninja): one NinjaAPI, one router per app."""

from ninja import NinjaAPI

api = NinjaAPI(title="renkou", version="1", urls_namespace="api")
