from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        # notifications sits above voting (it reads rounds for notices), so the CODE keyword
        # is answered here, with voting's services, rather than registered by voting.
        from .code_texts import CODE_KEYWORD, card_code_text_request
        from .texts import INBOUND_COMMANDS

        INBOUND_COMMANDS.setdefault(CODE_KEYWORD, card_code_text_request)
