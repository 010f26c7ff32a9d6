from django.urls import path

from . import feeds, views

app_name = "notifications"

urlpatterns = [
    path("notices/", views.preferences_view, name="preferences"),
    path("notices/unsubscribe/<str:token>/", views.unsubscribe_view, name="unsubscribe"),
    path("sms/inbound/notify/", views.sms_inbound_notify_view, name="sms_inbound_notify"),
    path("sms/inbound/http/", views.sms_inbound_http_view, name="sms_inbound_http"),
    path("feeds/<slug:slug>.atom", feeds.NeighbourhoodFeed(), name="neighbourhood_feed"),
]
