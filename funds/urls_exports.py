"""Download URLs of the funds' exports; config/urls.py includes them under "funds/"."""

from django.urls import path

from .exports import views

app_name = "funds_exports"

urlpatterns = [
    path("open-data/360giving.json", views.threesixtygiving_json, name="360giving-json"),
    path("open-data/360giving.csv", views.threesixtygiving_csv, name="360giving-csv"),
    path(
        "<int:fund_id>/open-data/360giving.json",
        views.threesixtygiving_json,
        name="fund-360giving-json",
    ),
    path(
        "<int:fund_id>/open-data/360giving.csv",
        views.threesixtygiving_csv,
        name="fund-360giving-csv",
    ),
    path("<int:fund_id>/exports/ledger.csv", views.ledger_csv, name="ledger-csv"),
    path("<int:fund_id>/exports/statement.csv", views.statement_csv, name="statement-csv"),
    path("<int:fund_id>/exports/statement.pdf", views.statement_pdf_view, name="statement-pdf"),
    path("<int:fund_id>/exports/audit.jsonl", views.audit_jsonl, name="audit-jsonl"),
]
