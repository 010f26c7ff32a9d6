from django.apps import AppConfig


class VotingConfig(AppConfig):
    name = "voting"
    verbose_name = "Votes"

    def ready(self) -> None:
        # communities sits below voting: voting registers its sections there.
        from communities.boards import register_now, register_todo

        from . import checks  # noqa: F401  (registers the receipt key check)
        from .boards import votes_now, voting_todo

        register_now(votes_now)
        register_todo(voting_todo)

        # Under `make run` (no Redis, so no beat) a thread opens and closes rounds on time.
        from .scheduler import start_if_wanted

        start_if_wanted()
