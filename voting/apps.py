from django.apps import AppConfig


class VotingConfig(AppConfig):
    name = "voting"
    verbose_name = "Votes"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the receipt key check)

        # Under `make run` (no Redis, so no beat) a thread opens and closes rounds on time.
        from .scheduler import start_if_wanted

        start_if_wanted()
