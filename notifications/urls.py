from django.urls import path

from . import feeds, views

app_name = "notifications"

urlpatterns = [
    path("notices/", views.preferences_view, name="preferences"),
    path("notices/unsubscribe/<str:token>/", views.unsubscribe_view, name="unsubscribe"),
    path("feeds/<slug:slug>.atom", feeds.NeighbourhoodFeed(), name="neighbourhood_feed"),
]
