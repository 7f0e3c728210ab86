from django.contrib import admin

from .models import AuditCheckpoint, AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["id", "sequence", "occurred_at", "actor_email", "action", "case_reference"]
    list_filter = ["action"]
    search_fields = ["case_reference", "actor_email", "object_id"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditCheckpoint)
class AuditCheckpointAdmin(admin.ModelAdmin):
    """Checkpoints are made by verification only: one added by hand would anchor the chain
    to whatever it said, and they are append-only in the database as well."""

    list_display = ["verified_at", "ok", "events_checked", "first_broken_sequence"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
