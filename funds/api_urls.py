"""/api/v1/ addresses of the funds app."""

# "api_id" (1 to 18 digits) is registered by config/api_urls.py.
from django.urls import path

from . import api

urlpatterns = [
    path("neighbourhoods/<slug:slug>/spend/", api.SpendSummary.as_view(), name="spend"),
    path("neighbourhoods/<slug:slug>/grants/", api.GrantList.as_view(), name="grants"),
    path("grants/<api_id:pk>/", api.GrantDetail.as_view(), name="grant"),
    path("grants/<api_id:pk>/claims/", api.ClaimSubmit.as_view(), name="claim-submit"),
    path("funds/<api_id:pk>/decisions/", api.DecisionRecord.as_view(), name="decision-record"),
    path("funds/<api_id:pk>/suspend/", api.FundSuspend.as_view(), name="fund-suspend"),
    path("funds/<api_id:pk>/resume/", api.FundResume.as_view(), name="fund-resume"),
    path("decisions/<api_id:pk>/grant/", api.GrantFromDecision.as_view(), name="grant-create"),
    path("tranches/<api_id:pk>/release/", api.TrancheRelease.as_view(), name="tranche-release"),
    path("tranches/<api_id:pk>/hold/", api.TrancheHold.as_view(), name="tranche-hold"),
    path("claims/<api_id:pk>/approve/", api.ClaimApprove.as_view(), name="claim-approve"),
    path("claims/<api_id:pk>/return/", api.ClaimReturn.as_view(), name="claim-return"),
    path("claims/<api_id:pk>/reject/", api.ClaimReject.as_view(), name="claim-reject"),
    path("claims/<api_id:pk>/pay/", api.ClaimPay.as_view(), name="claim-pay"),
    path("claim-items/<api_id:pk>/receipt/", api.ReceiptRead.as_view(), name="receipt"),
]
