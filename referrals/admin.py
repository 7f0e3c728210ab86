"""Operators see that referrals exist and where they were routed, never their content.

Administrators have no case content by default (DESIGN.md §2), so only routing and status
columns are shown, everything is read-only, and attachments, questions and possible duplicates
are not registered at all. Case work happens in the service, where every read is audited.
"""

from django.contrib import admin

from .models import ReferenceCounter, Referral


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Referral)
class ReferralAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "status", "region", "local_authority", "submitted_at")
    list_filter = ("status", "region")
    list_select_related = ("region", "local_authority")
    search_fields = ("reference",)
    fields = (
        "reference",
        "public_id",
        "status",
        "marking",
        "region",
        "police_force_area",
        "local_authority",
        "created_at",
        "submitted_at",
        "closed_at",
    )
    readonly_fields = fields
    show_full_result_count = False


@admin.register(ReferenceCounter)
class ReferenceCounterAdmin(ReadOnlyAdmin):
    list_display = ("year", "last_number")
