"""/api/v1/ addresses of the proposals app."""

# "api_id" (1 to 18 digits) is registered by config/api_urls.py.
from django.urls import path

from . import api

base = "neighbourhoods/<slug:slug>/proposals/"
urlpatterns = [
    path(base, api.ProposalListCreate.as_view(), name="proposals"),
    path(base + "<api_id:pk>/", api.ProposalDetail.as_view(), name="proposal"),
    path(base + "<api_id:pk>/submit/", api.ProposalSubmit.as_view(), name="proposal-submit"),
    path(base + "<api_id:pk>/withdraw/", api.ProposalWithdraw.as_view(), name="proposal-withdraw"),
    path(base + "<api_id:pk>/support/", api.ProposalSupport.as_view(), name="proposal-support"),
    path(base + "<api_id:pk>/comments/", api.ProposalComment.as_view(), name="proposal-comment"),
]
