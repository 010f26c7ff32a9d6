"""Admin: read-only view of queued work, to see what is waiting or failing and why."""

from django.contrib import admin

from .models import OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    """Read-only: rows are written by services and marked done by workers."""

    list_display = ["pk", "task", "created_at", "attempts", "sent_at", "done_at", "last_error"]
    list_filter = ["task"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
