from django.apps import AppConfig


class ProposalsConfig(AppConfig):
    name = "proposals"
    verbose_name = "Proposals"

    def ready(self) -> None:
        # communities sits below proposals: proposals registers its sections there.
        from communities.boards import register_now, register_todo

        from .boards import proposals_to_screen, proposals_waiting_for_support

        register_now(proposals_waiting_for_support)
        register_todo(proposals_to_screen)
