"""URLs of the prospects app, under /prospects/."""

from django.urls import path

from . import views

app_name = "prospects"

urlpatterns = [
    path("<slug:slug>/", views.prospects_detail, name="detail"),
    path("<slug:slug>/prospects.csv", views.prospects_csv, name="csv"),
    path("<slug:slug>/survey/", views.survey_answer, name="survey"),
    path("<slug:slug>/survey/paper/", views.survey_paper, name="survey_paper"),
    path("<slug:slug>/survey/open/", views.survey_open, name="survey_open"),
]
