"""Admin for the funds app: read-only. Money moves only through the services (which check
roles, segregation and the ledger); the admin shows what happened and changes nothing."""

from django.contrib import admin

from . import models


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.Organisation)
class OrganisationAdmin(ReadOnlyAdmin):
    list_display = ["name", "kind", "org_id", "due_diligence_status"]
    search_fields = ["name", "org_id"]


@admin.register(models.Fund)
class FundAdmin(ReadOnlyAdmin):
    list_display = ["name", "neighbourhood", "funder", "holder", "status"]
    list_filter = ["status"]


@admin.register(models.JournalEntry)
class JournalEntryAdmin(ReadOnlyAdmin):
    list_display = ["fund", "seq", "kind", "posted_at", "memo"]
    list_filter = ["kind"]


@admin.register(models.Grant)
class GrantAdmin(ReadOnlyAdmin):
    list_display = ["title", "fund", "amount_pence", "payment_mode", "status"]
    list_filter = ["status", "payment_mode"]


@admin.register(models.Claim)
class ClaimAdmin(ReadOnlyAdmin):
    list_display = ["pk", "grant", "status", "submitted_at"]
    list_filter = ["status"]


@admin.register(models.Decision)
class DecisionAdmin(ReadOnlyAdmin):
    list_display = ["pk", "fund", "subject", "outcome", "decided_at"]
