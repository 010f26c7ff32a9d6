"""Read-only admin for vote rounds: every write goes through the services (and the audit trail),
so the admin only shows. Ballots are not listed at all: nothing to browse beside participation."""

from __future__ import annotations

from django.contrib import admin

from .models import (
    CountJob,
    PaperBatch,
    Participation,
    Pot,
    PotItem,
    PotResult,
    Volunteer,
    VoteRound,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PotInline(admin.TabularInline):
    model = Pot
    extra = 0
    fields = ("name", "amount_pence", "position")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(VoteRound)
class VoteRoundAdmin(ReadOnlyAdmin):
    list_display = (
        "title",
        "neighbourhood",
        "status",
        "ballot_method",
        "counting_rule",
        "opens_at",
    )
    list_filter = ("status", "ballot_method", "counting_rule", "imported")
    search_fields = ("title", "neighbourhood__name")
    inlines = [PotInline]


@admin.register(PotItem)
class PotItemAdmin(ReadOnlyAdmin):
    list_display = ("pot", "number", "proposal", "cost_pence")
    list_select_related = ("pot", "proposal")


@admin.register(Participation)
class ParticipationAdmin(ReadOnlyAdmin):
    list_display = ("pot", "channel", "voted_at")
    list_filter = ("channel",)
    list_select_related = ("pot",)
    exclude = (
        "receipt_salt",
        "receipt_check",
        "in_person_key",
        "in_person_surname_key",
        "in_person_house_key",
    )


@admin.register(PaperBatch)
class PaperBatchAdmin(ReadOnlyAdmin):
    list_display = ("event", "round", "pot", "declared_count", "status")
    list_filter = ("status",)


@admin.register(Volunteer)
class VolunteerAdmin(ReadOnlyAdmin):
    list_display = ("user", "round", "appointed_by", "appointed_at")


@admin.register(PotResult)
class PotResultAdmin(ReadOnlyAdmin):
    list_display = ("pot", "rule", "ballots_counted", "total_cost_pence", "frozen_at")


@admin.register(CountJob)
class CountJobAdmin(ReadOnlyAdmin):
    """Counts asked for by trustees: state, progress and the reason a count failed."""

    list_display = ("round", "state", "done", "total", "requester", "created_at", "finished_at")
    list_filter = ("state",)
