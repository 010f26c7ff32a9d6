"""Personal data URLs, under /accounts/."""

from django.urls import path

from . import views

urlpatterns = [
    path("my-data/", views.data_download, name="personal_data_download"),
    path("erase/", views.account_erase, name="account_erase"),
]
