from django.apps import AppConfig


class CommunitiesConfig(AppConfig):
    name = "communities"
    verbose_name = "Neighbourhoods and members"

    def ready(self) -> None:
        from .boards import members_waiting, register_todo

        register_todo(members_waiting)
