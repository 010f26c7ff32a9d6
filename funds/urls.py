"""URLs of the funds app (under /funds/)."""

from django.urls import path

from . import views, views_audit, views_grants, views_jobs, views_queries

app_name = "funds"

urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.fund_detail, name="fund"),
    path("<int:pk>/suspend/", views.fund_suspend, name="fund_suspend"),
    path("<int:pk>/to-do/", views.trustee_todo, name="todo"),
    path("<int:pk>/payments/", views.finance_queue, name="queue"),
    path(
        "<int:pk>/received/<int:tranche_pk>/",
        views.fund_tranche_receive,
        name="fund_tranche_receive",
    ),
    path("<int:pk>/decide/<int:proposal_pk>/", views.decision_new, name="decide"),
    path("decisions/<int:pk>/minutes/", views.minutes, name="minutes"),
    path("decisions/<int:pk>/minutes.pdf", views.minutes_download, name="minutes_pdf"),
    path("decisions/<int:pk>/grant/", views.grant_create, name="grant_create"),
    path("grants/<int:pk>/", views_grants.grant_detail, name="grant"),
    path("grants/<int:pk>/start/", views_grants.grant_start, name="grant_start"),
    path("grants/<int:pk>/claim/", views_grants.claim_new, name="claim_new"),
    path("claims/<int:pk>/", views_grants.claim_detail, name="claim"),
    path("claims/<int:pk>/approve/", views_grants.claim_approve, name="claim_approve"),
    path("claims/<int:pk>/pay/", views_grants.claim_pay, name="claim_pay"),
    path("claims/<int:pk>/return/", views_grants.claim_return, name="claim_return"),
    path("claims/<int:pk>/reject/", views_grants.claim_reject, name="claim_reject"),
    path("tranches/<int:pk>/release/", views_grants.tranche_release, name="tranche_release"),
    path("tranches/<int:pk>/hold/", views_grants.tranche_hold, name="tranche_hold"),
    path("receipts/<int:pk>/", views_grants.receipt, name="receipt"),
    path("<int:pk>/audit/", views_audit.workspace, name="audit"),
    path("<int:pk>/audit/<slug:drill>/", views_audit.entries, name="audit_entries"),
    path("<int:pk>/queries/new/", views_queries.query_new, name="query_new"),
    path("queries/<int:pk>/", views_queries.query_detail, name="query"),
    path("queries/<int:pk>/<slug:action>/", views_queries.query_act, name="query_act"),
    path("<int:pk>/exports/start/", views_jobs.export_start, name="export_start"),
    path("exports/<int:pk>/", views_jobs.export_job, name="export_job"),
    path("exports/<int:pk>/status.json", views_jobs.export_job_status, name="export_status"),
    path("exports/<int:pk>/download/", views_jobs.export_download, name="export_download"),
    path("exports/<int:pk>/retry/", views_jobs.export_retry, name="export_retry"),
    path("spend/<slug:slug>/", views_audit.public_spend, name="public_spend"),
]
