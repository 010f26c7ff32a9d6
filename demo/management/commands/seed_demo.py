"""`python manage.py seed_demo`: load demo data; running it again changes nothing."""

import importlib

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.test.utils import override_settings

from demo.users import DEMO_PASSWORD, DEMO_USERS, seed_users

# Lower apps first: each app's demo builds on the ones before it.
APP_DEMOS = ["communities.demo", "proposals.demo", "voting.demo", "funds.demo", "prospects.demo"]


class Command(BaseCommand):
    help = "Load demo data (idempotent) and print the demo logins."

    def handle(self, *args, **options):
        # The demo has a superuser with the README's password and published TOTP secrets:
        # it must never reach a production database.
        if not settings.DEBUG:
            raise CommandError(
                "seed_demo runs only with DJANGO_DEBUG=1 (a laptop or a throwaway demo server): "
                "it creates accounts, an admin among them, whose passwords and two-factor "
                "secrets are published in the README. Nothing was created."
            )
        # Demo proposals move through their lifecycle; their notification emails would bury
        # the logins printed below, so seeding sends none.
        with (
            override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"),
            transaction.atomic(),
        ):
            users = seed_users()
            for module_name in APP_DEMOS:
                try:
                    module = importlib.import_module(module_name)
                except ModuleNotFoundError as exc:
                    if exc.name != module_name:
                        raise
                    continue
                self.stdout.write(f"Seeding {module_name} ...")
                module.seed(users=users, stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo data ready. Demo logins:"))
        for email, name, _ in DEMO_USERS:
            self.stdout.write(f"  {email:<24} password: {DEMO_PASSWORD}   ({name})")
