"""Reports API tokens in the Django admin: listed and revoked here, made only with
``manage.py api_token create`` (which shows the token once); the hash is read-only."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from lms.reports.api_tokens import api_token_revoke
from lms.reports.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "prefix", "user", "created_at", "last_used_at", "expires_at",
                    "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "prefix", "user__email")
    list_select_related = ("user",)
    fields = ("name", "user", "prefix", "token_hash", "created_at", "last_used_at",
              "expires_at", "revoked_at")
    readonly_fields = ("user", "prefix", "token_hash", "created_at", "last_used_at",
                       "revoked_at")
    actions = ("revoke",)

    def has_add_permission(self, request) -> bool:
        return False  # the full token can only be shown by the command that makes it

    @admin.action(description=_("Revoke the selected tokens"), permissions=["change"])
    def revoke(self, request, queryset):
        tokens = [api_token_revoke(prefix=token.prefix) for token in queryset]
        self.message_user(request, ngettext("%(count)d token revoked.",
                                            "%(count)d tokens revoked.", len(tokens))
                          % {"count": len(tokens)}, messages.SUCCESS)
