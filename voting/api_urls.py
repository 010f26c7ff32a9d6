"""/api/v1/ addresses of the voting app."""

# "api_id" (1 to 18 digits) is registered by config/api_urls.py.
from django.urls import path

from . import api

urlpatterns = [
    path("neighbourhoods/<slug:slug>/rounds/", api.RoundList.as_view(), name="rounds"),
    path("rounds/<api_id:pk>/", api.RoundDetail.as_view(), name="round"),
    path("rounds/<api_id:pk>/results/", api.RoundResults.as_view(), name="round-results"),
    path("rounds/<api_id:pk>/ballot/", api.BallotCast.as_view(), name="ballot"),
    path("receipts/", api.ReceiptLookup.as_view(), name="receipt-lookup"),
]
