"""Funds: money from funders, grants, payments, claims with receipts, the double-entry ledger."""

from django.apps import AppConfig


class FundsConfig(AppConfig):
    name = "funds"
    verbose_name = "Funds and ledger"

    def ready(self) -> None:
        # proposals sits below funds, so funds registers the cap rather than being imported.
        from proposals.limits import register_fund_ceiling

        from .selectors import fund_ceiling_pence

        register_fund_ceiling(fund_ceiling_pence)

        from proposals.panels import register_detail_panel

        from .panels import proposal_money_panel

        register_detail_panel(proposal_money_panel)

        from communities.boards import register_todo

        from .boards import funds_todo

        register_todo(funds_todo)
