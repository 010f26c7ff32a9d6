"""Read-mostly admin: every change goes through services, so the admin only inspects."""

from django.contrib import admin

from .models import Comment, CostLine, Milestone, Proposal, ProposalImage, Report, StatusChange


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CostLineInline(admin.TabularInline):
    model = CostLine
    extra = 0
    can_delete = False

    def has_change_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request, obj=None):
        return False


class StatusChangeInline(CostLineInline):
    model = StatusChange


@admin.register(Proposal)
class ProposalAdmin(ReadOnlyAdmin):
    list_display = ["title", "neighbourhood", "status", "theme", "support_count", "created_at"]
    list_filter = ["status", "theme", "is_hidden"]
    search_fields = ["title", "summary"]
    list_select_related = ["neighbourhood"]
    inlines = [CostLineInline, StatusChangeInline]


@admin.register(Comment)
class CommentAdmin(ReadOnlyAdmin):
    list_display = ["proposal", "author", "created_at", "is_hidden"]
    list_select_related = ["proposal", "author"]


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    list_display = ["neighbourhood", "proposal", "comment", "created_at", "resolved_at"]


@admin.register(ProposalImage)
class ProposalImageAdmin(ReadOnlyAdmin):
    list_display = ["proposal", "alt_text", "status", "created_at"]


@admin.register(Milestone)
class MilestoneAdmin(ReadOnlyAdmin):
    list_display = ["proposal", "happened_on", "progress_percent"]
