from django.contrib import admin

from .models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "case_reference", "status", "attempts"]
    list_filter = ["status", "kind"]
    search_fields = ["case_reference", "subject"]
    readonly_fields = [f.name for f in Notification._meta.fields]
