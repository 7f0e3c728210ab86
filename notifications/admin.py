"""The outbox for administrators: find failed and to-check notifications and settle them."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from . import services
from .models import Notification

Status = Notification.Status


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "case_reference", "status", "attempts", "next_attempt_at"]
    list_filter = ["status", "kind"]
    search_fields = ["case_reference", "subject"]
    readonly_fields = [f.name for f in Notification._meta.fields]
    actions = ["check_with_provider", "mark_delivered", "send_again", "retry_failed"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context=None):
        """Show how many need a person above the list, with links to them."""
        problems = services.notifications_problems()
        return super().changelist_view(
            request, {**(extra_context or {}), "outbox_problems": problems}
        )

    @admin.action(description="Ask the provider whether the selected ones to check were sent")
    def check_with_provider(self, request: HttpRequest, queryset: QuerySet) -> None:
        outcomes = [
            services.notification_check_with_provider(notification_id=n.pk)
            for n in queryset.filter(status=Status.CHECK)
        ]
        self.message_user(
            request,
            f"Sent: {outcomes.count(Status.SENT)}. To send again: "
            f"{outcomes.count(Status.PENDING)}. Provider could not tell: "
            f"{outcomes.count(Status.CHECK)}.",
        )

    @admin.action(description="They arrived: record the selected ones to check as sent")
    def mark_delivered(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._resolve(request, queryset, delivered=True)

    @admin.action(description="They did not arrive: send the selected ones to check again")
    def send_again(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._resolve(request, queryset, delivered=False)

    def _resolve(self, request: HttpRequest, queryset: QuerySet, *, delivered: bool) -> None:
        to_check = list(queryset.filter(status=Status.CHECK))
        for notification in to_check:
            services.notification_resolve(
                notification=notification, user=request.user, delivered=delivered
            )
        skipped = queryset.count() - len(to_check)
        self.message_user(request, f"{len(to_check)} settled.")
        if skipped:
            self.message_user(
                request,
                f"{skipped} were not waiting to be checked: left as they were.",
                messages.WARNING,
            )

    @admin.action(description="Try the selected failed ones again")
    def retry_failed(self, request: HttpRequest, queryset: QuerySet) -> None:
        failed = list(queryset.filter(status=Status.FAILED))
        for notification in failed:
            services.notification_retry(notification=notification, user=request.user)
        self.message_user(request, f"{len(failed)} queued to be sent again.")
