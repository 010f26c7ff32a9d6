from django.apps import AppConfig


class VotingConfig(AppConfig):
    name = "voting"
    verbose_name = "Votes"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the receipt key check)
