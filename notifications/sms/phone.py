"""UK mobile numbers, as people type them, to E.164 (+447...), with Google's libphonenumber."""

from __future__ import annotations

import phonenumbers

from config.errors import ApplicationError


def mobile_number_normalise(raw: str) -> str:
    """`07911 123456`, `+44 7911 123456`, `(0)7911-123456` -> `+447911123456`; anything that is
    not a valid UK mobile number is refused with a plain message."""
    text = (raw or "").strip()
    if not text:
        raise ApplicationError("Enter your mobile number, like 07911 123456.")
    try:
        number = phonenumbers.parse(text, "GB")
    except phonenumbers.NumberParseException as exc:
        raise ApplicationError(
            "Enter a UK mobile number, like 07911 123456 or +44 7911 123456."
        ) from exc
    if number.country_code != 44 or not phonenumbers.is_valid_number(number):
        raise ApplicationError("Enter a UK mobile number, like 07911 123456 or +44 7911 123456.")
    if phonenumbers.number_type(number) != phonenumbers.PhoneNumberType.MOBILE:
        raise ApplicationError("That is not a mobile number: texts go only to mobiles (07...).")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
