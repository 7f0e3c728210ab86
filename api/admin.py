"""Administrators manage organisations' API clients here (or with `manage.py api_clients`).

A client is made through `api_client_create`, so its account, scopes and first token are
right, and the token is shown once in the confirmation message; tokens are rotated and clients
revoked by the admin actions, through the same services. Nothing here shows a token's digest,
and no token can be edited.
"""

from django import forms
from django.contrib import admin, messages

from config.errors import ApplicationError

from .models import ApiClient, ApiToken, Organisation, Scope
from .services import api_client_create, api_client_revoke, api_token_rotate


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "created_at"]
    list_filter = ["kind"]
    search_fields = ["name"]


class ApiClientCreationForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(choices=Scope.choices, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = ApiClient
        fields = ["organisation", "name", "scopes"]


class TokenInline(admin.TabularInline):
    model = ApiToken
    fields = ["key_id", "created_at", "expires_at", "revoked_at", "last_used_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation", "created_at", "revoked_at"]
    list_filter = ["organisation__kind"]
    search_fields = ["name", "organisation__name"]
    readonly_fields = ["public_id", "organisation", "name", "scopes", "user", "created_by"]
    readonly_fields += ["created_at", "revoked_at"]
    inlines = [TokenInline]
    actions = ["rotate_tokens", "revoke_clients"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ApiClientCreationForm
        return super().get_form(request, obj, change, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # revoke instead: the audit trail names the client

    def save_model(self, request, obj, form, change) -> None:
        if change:
            return  # nothing of a client is edited here
        client, raw = api_client_create(
            organisation=form.cleaned_data["organisation"],
            name=form.cleaned_data["name"],
            scopes=form.cleaned_data["scopes"],
            created_by=request.user,
        )
        obj.pk = client.pk
        obj.refresh_from_db()
        self.message_user(
            request,
            f"Token for {client} (shown only now; give it to the organisation securely): {raw}",
            messages.WARNING,
        )

    @admin.action(description="Issue a new token (old tokens end in 7 days)")
    def rotate_tokens(self, request, queryset) -> None:
        for client in queryset.select_related("organisation"):
            try:
                raw = api_token_rotate(client=client, by=request.user)
            except ApplicationError as exc:
                self.message_user(request, f"{client}: {exc.message}", messages.ERROR)
                continue
            self.message_user(
                request, f"New token for {client} (shown only now): {raw}", messages.WARNING
            )

    @admin.action(description="Revoke the client and all its tokens")
    def revoke_clients(self, request, queryset) -> None:
        for client in queryset.filter(revoked_at__isnull=True):
            api_client_revoke(client=client, by=request.user)
        self.message_user(request, "Revoked.", messages.SUCCESS)
