"""Plain-text checks for proposals: they live in config/text.py, the ground floor, since account
names need them too (re-exported here for the proposals and voting modules)."""

from config.text import (  # noqa: F401
    SPOOFING_CHARACTERS,
    has_control_characters,
    single_line,
    spoofing_characters,
    spoofing_problem,
    without_spoofing_characters,
)
