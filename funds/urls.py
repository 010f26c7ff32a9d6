"""URLs of the funds app."""

from django.urls import path

from . import views

app_name = "funds"

urlpatterns = [
    path("<int:pk>/", views.fund_detail, name="fund"),
    path("tranches/<int:pk>/release/", views.tranche_release, name="tranche_release"),
    path("claims/<int:pk>/pay/", views.claim_pay, name="claim_pay"),
    path("claims/<int:pk>/approve/", views.claim_approve, name="claim_approve"),
    path("decisions/<int:pk>/", views.decision_minutes, name="decision"),
    path("<int:pk>/decide/", views.decision_create, name="decide"),
    path("decisions/<int:pk>/grant/", views.grant_create, name="grant_create"),
    path("grants/<int:pk>/", views.grant_detail, name="grant"),
    path("receipts/<int:pk>/", views.receipt, name="receipt"),
]
