"""Vote counting for participatory budgets: exact, pabutools-compatible, and fast. No Django
here."""

from .model import Election, Project, format_number
from .pabulib import PabulibError, parse_pabulib, write_pabulib
from .rules import RULES, Outcome, city_tally, tally

__all__ = [
    "RULES",
    "Election",
    "Outcome",
    "PabulibError",
    "Project",
    "city_tally",
    "format_number",
    "parse_pabulib",
    "tally",
    "write_pabulib",
]
