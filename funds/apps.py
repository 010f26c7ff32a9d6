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
