"""The user: one person, identified by email, with a public display name."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra):
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A person with an account. Roles live on neighbourhood memberships, not here."""

    username = None
    email = models.EmailField("email address", unique=True)
    display_name = models.CharField(max_length=80, blank=True)
    is_platform_admin = models.BooleanField(
        default=False, help_text="Operator of the installation: verifies neighbourhoods."
    )
    # Notification preferences: each kind can be switched off.
    notify_proposal_status = models.BooleanField(default=True)
    notify_comments = models.BooleanField(default=True)
    notify_submissions = models.BooleanField(default=True)
    # Set when the person erased their account (privacy.services.account_erase): the row stays
    # as a tombstone ("Former member #<id>") because ballots' participations, decisions and
    # audit events point at it; every personal field is blanked.
    erased_at = models.DateTimeField(null=True, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.public_name

    @property
    def public_name(self) -> str:
        """The name others see. Never any part of the email address, which is private: an
        account made before sign-up asked for a name shows a neutral "Member <number>"
        until its owner sets one on the preferences page."""
        if self.display_name:
            return self.display_name
        return f"Member {self.pk}" if self.pk else "A member"


class ApiTokenQuerySet(models.QuerySet):
    def usable(self, at=None):
        from django.utils import timezone

        at = at or timezone.now()
        return self.filter(revoked_at__isnull=True, expires_at__gt=at)


class ApiToken(models.Model):
    """A personal API token. Only a SHA-256 of the secret is stored; the secret is shown once.

    `created_with_mfa` records whether the session that made it had passed a second factor:
    a token carries no more power than that session (accounts.permissions.has_mfa).
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=80)
    prefix = models.CharField(max_length=12, help_text="The start of the token, to recognise it.")
    key_hash = models.CharField(max_length=64, unique=True)
    created_with_mfa = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")),
                name="api_token_expires_after_creation",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
