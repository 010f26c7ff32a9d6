"""URLs of the voting app, under /votes/."""

from django.urls import path

from . import card_views, views

app_name = "voting"

urlpatterns = [
    path("receipt/", views.receipt_lookup, name="receipt"),
    path("card/", card_views.card, name="card"),
    path("kiosk/", card_views.kiosk, name="kiosk"),
    path("kiosk/finish/", card_views.kiosk_finish, name="kiosk_finish"),
    path("kiosk/<int:pk>/close/", card_views.kiosk_close, name="kiosk_close"),
    path("round/<int:pk>/cards/", card_views.cards_issue, name="cards"),
    path("round/<int:pk>/kiosks/", card_views.kiosks, name="kiosks"),
    path("round/<int:pk>/", views.round_detail, name="round_detail"),
    path("round/<int:pk>/pots/add/", views.pot_add, name="pot_add"),
    path("round/<int:pk>/publish/", views.round_publish, name="round_publish"),
    path("round/<int:pk>/count/", views.round_count, name="round_count"),
    path("round/<int:pk>/certify/", views.round_certify, name="round_certify"),
    path(
        "round/<int:pk>/publish-results/",
        views.round_publish_results,
        name="round_publish_results",
    ),
    path("round/<int:pk>/open-now/", views.round_open_now, name="round_open_now"),
    path("round/<int:pk>/close-now/", views.round_close_now, name="round_close_now"),
    path("round/<int:pk>/annul/", views.round_annul, name="round_annul"),
    path("round/<int:pk>/annul/confirm/", views.round_annul_confirm, name="round_annul_confirm"),
    path("round/<int:pk>/annul/withdraw/", views.round_annul_withdraw, name="round_annul_withdraw"),
    path("round/<int:pk>/results/", views.results, name="results"),
    path("round/<int:pk>/pots/<int:pot_pk>/ballots.pb", views.export_pb, name="export_pb"),
    path("round/<int:pk>/paper/", views.paper, name="paper"),
    path("round/<int:pk>/paper/ballot-papers/", views.paper_print, name="paper_print"),
    path("round/<int:pk>/paper/register/", views.paper_register, name="paper_register"),
    path("batch/<int:pk>/", views.batch, name="batch"),
    path("pot/<int:pk>/vote/", views.ballot, name="ballot"),
    path("<slug:slug>/", views.round_list, name="round_list"),
    path("<slug:slug>/new/", views.round_create, name="round_create"),
]
