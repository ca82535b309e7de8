"""The LTI tool in the Django admin: django-lti registers the platform registrations (issuer,
client ID, auth/token/JWKS URLs) with their deployments; here the programmes each deployment
may open, the tool's keys (with rotation), the placements and the scores sent back (with a
resend)."""

from django.conf import settings
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from lti_tool.models import Key

from courses.models import ProgrammePage
from lms.lti.models import DeploymentScope, LaunchNonce, Placement, ScorePost
from lms.lti.services import key_rotate, score_posts_resend


@admin.register(Key)
class KeyAdmin(admin.ModelAdmin):
    list_display = ["__str__", "is_active", "datetime_created"]
    list_filter = ["is_active"]
    fields = ["public_key", "is_active", "datetime_created"]
    readonly_fields = ["public_key", "datetime_created"]
    actions = ["rotate"]

    @admin.action(description=_("Rotate: add a new signing key, retire keys older than 7 days"))
    def rotate(self, request, queryset):
        key, retired = key_rotate(retire_after_days=7)
        self.message_user(request, _("New key %(kid)s; %(n)d retired.")
                          % {"kid": key, "n": retired}, messages.SUCCESS)

    def has_add_permission(self, request):
        return False  # keys are generated (the rotate action), never pasted in


@admin.register(DeploymentScope)
class DeploymentScopeAdmin(admin.ModelAdmin):
    list_display = ["deployment", "programme_count", "updated_at"]
    list_select_related = ["deployment__registration"]
    filter_horizontal = ["programmes"]
    readonly_fields = ["updated_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("programmes")

    @admin.display(description=_("programmes"))
    def programme_count(self, scope: DeploymentScope) -> int:
        return len(scope.programmes.all())

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "programmes":
            # One entry per programme: its page in the site's first language (a programme
            # chosen opens in every language)
            kwargs["queryset"] = (ProgrammePage.objects
                                  .filter(locale__language_code=settings.LANGUAGE_CODE)
                                  .order_by("path"))
        return super().formfield_for_manytomany(db_field, request, **kwargs)


@admin.register(Placement)
class PlacementAdmin(admin.ModelAdmin):
    list_display = ["resource_link", "page", "assignment", "run", "created_at"]
    raw_id_fields = ["resource_link", "page", "assignment", "run"]
    list_select_related = ["resource_link", "page", "assignment", "run"]


@admin.register(ScorePost)
class ScorePostAdmin(admin.ModelAdmin):
    list_display = ["lti_user", "assignment", "score", "max_score", "status", "attempts",
                    "sent_at"]
    list_filter = ["status"]
    list_select_related = ["lti_user", "assignment"]
    readonly_fields = [f.name for f in ScorePost._meta.fields]
    actions = ["resend"]

    @admin.action(description=_("Send these scores again"))
    def resend(self, request, queryset):
        n = score_posts_resend(posts=list(queryset))
        self.message_user(request, ngettext("%(n)d score queued.", "%(n)d scores queued.", n)
                          % {"n": n}, messages.SUCCESS)

    def has_add_permission(self, request):
        return False


@admin.register(LaunchNonce)
class LaunchNonceAdmin(admin.ModelAdmin):
    list_display = ["issuer", "nonce", "used_at"]
    readonly_fields = ["issuer", "nonce", "used_at"]
