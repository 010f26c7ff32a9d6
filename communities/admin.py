"""Django admin for platform admins: reference data and a read-mostly view of the rest.

State changes (verify, appoint, attest) go through the pages and services, which audit them,
so the admin shows those models read-only.
"""

from django.contrib import admin

from .models import (
    AccessCodeBatch,
    ConflictDeclaration,
    GeographyUnit,
    Interest,
    Membership,
    Neighbourhood,
    Postcode,
    RoleAssignment,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(GeographyUnit)
class GeographyUnitAdmin(admin.ModelAdmin):
    list_display = ["code", "unit_type", "vintage", "name", "imd_decile", "left_behind"]
    list_filter = ["unit_type", "vintage", "left_behind"]
    search_fields = ["code", "name", "local_authority"]


@admin.register(Postcode)
class PostcodeAdmin(admin.ModelAdmin):
    list_display = ["postcode", "ward_code", "lsoa_code", "msoa_code", "lad_code"]
    search_fields = ["postcode"]
    show_full_result_count = False


@admin.register(Neighbourhood)
class NeighbourhoodAdmin(ReadOnlyAdmin):
    list_display = ["name", "status", "left_behind", "imd_decile", "registrant"]
    list_filter = ["status", "left_behind"]
    search_fields = ["name", "slug"]


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdmin):
    list_display = ["user", "neighbourhood", "status", "connection", "verification_method"]
    list_filter = ["status", "verification_method", "neighbourhood"]
    search_fields = ["user__email"]
    exclude = ["identity_key"]  # a keyed hash: of no use to read, and no reason to show


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(ReadOnlyAdmin):
    list_display = ["user", "neighbourhood", "role", "started_at", "ended_at"]
    list_filter = ["role", "neighbourhood"]


@admin.register(AccessCodeBatch)
class AccessCodeBatchAdmin(ReadOnlyAdmin):
    list_display = ["label", "neighbourhood", "created_by", "created_at", "expires_at"]


@admin.register(Interest)
class InterestAdmin(ReadOnlyAdmin):
    list_display = ["user", "neighbourhood", "organisation", "nature", "since", "ended_on"]


@admin.register(ConflictDeclaration)
class ConflictDeclarationAdmin(ReadOnlyAdmin):
    list_display = ["user", "neighbourhood", "object_type", "object_id", "created_at"]
