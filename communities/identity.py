"""Private identity of a person: the normalised name-and-address key, keyed with the receipt key.

Pure helpers (no database). The key is what makes "one person, one vote" work across channels
and accounts: the same person typed at the paper desk as "Rita  Resident", "R. Resident" or
"R Resident / 1 Hope Rd" gives the same key. It is an HMAC with the receipt key
(settings.RECEIPT_KEY), never the text itself; older receipt keys (settings.RECEIPT_OLD_KEYS)
still find keys made before a rotation.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass

from django.conf import settings

TITLES = {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "rev", "revd"}


def receipt_keys() -> list[bytes]:
    """The current receipt key first, then the older ones still accepted for lookups."""
    keys = [settings.RECEIPT_KEY, *getattr(settings, "RECEIPT_OLD_KEYS", [])]
    return [k.encode() for k in dict.fromkeys(keys) if k]


def keyed_hash(purpose: str, text: str, *, key: bytes | None = None) -> str:
    """HMAC-SHA256 with the receipt key (or the key given), separated by purpose."""
    key = key if key is not None else receipt_keys()[0]
    return hmac.new(key, f"{purpose}:{text}".encode(), hashlib.sha256).hexdigest()


def keyed_hashes(purpose: str, text: str) -> list[str]:
    """The hash under every accepted key, current first: what a lookup searches for."""
    return [keyed_hash(purpose, text, key=k) for k in receipt_keys()]


def _plain(text: str) -> str:
    """Lower case ASCII words: accents, punctuation and repeated spaces do not count."""
    text = unicodedata.normalize("NFKD", text or "")
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def normalise_name(name: str) -> tuple[str, str]:
    """(first initial, surname): "Rita  Resident", "R. Resident", "Dr R M Resident" all give
    ("r", "resident"). Anything after a slash is an address typed into the name field."""
    words = [w for w in _plain((name or "").split("/")[0]).split() if w not in TITLES]
    if not words:
        return "", ""
    if len(words) == 1:
        return "", words[0]
    return words[0][0], words[-1]


def normalise_house(house: str) -> str:
    """The house number (with its letter), or the house name: "1 Hope Rd" and "1" give "1",
    "Flat 2, 10 Hope Road" gives "flat2 10", "Rose Cottage" gives "rosecottage"."""
    plain = _plain(house)
    numbers = re.findall(r"\b(?:flat |apartment |unit )?\d+[a-z]?\b", plain)
    if numbers:
        return " ".join(n.replace(" ", "") for n in numbers[:2])
    return plain.replace(" ", "")


def normalise_postcode_text(postcode: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", (postcode or "").upper())


@dataclass(frozen=True)
class IdentityParts:
    """A person's normalised name, house and postcode: what the keys are made of."""

    initial: str
    surname: str
    house: str
    postcode: str

    @classmethod
    def of(cls, *, name: str, house: str, postcode: str) -> IdentityParts:
        initial, surname = normalise_name(name)
        if "/" in (name or "") and not house:
            house = name.split("/", 1)[1]
        return cls(initial, surname, normalise_house(house), normalise_postcode_text(postcode))

    @property
    def complete(self) -> bool:
        return bool(self.surname and self.house and self.postcode)

    @property
    def text(self) -> str:
        return f"{self.initial}|{self.surname}|{self.house}|{self.postcode}"

    def key(self) -> str:
        """The exact identity key under the current receipt key."""
        return keyed_hash("identity", self.text)

    def keys(self) -> list[str]:
        """The exact identity key under every accepted receipt key (for lookups)."""
        return keyed_hashes("identity", self.text)

    def near_keys(self) -> dict[str, str]:
        """Partial keys for near matches (same surname at the postcode, or same house)."""
        return {
            "surname": keyed_hash("identity.surname", f"{self.surname}|{self.postcode}"),
            "house": keyed_hash("identity.house", f"{self.house}|{self.postcode}"),
        }

    def near_key_sets(self) -> dict[str, list[str]]:
        return {
            "surname": keyed_hashes("identity.surname", f"{self.surname}|{self.postcode}"),
            "house": keyed_hashes("identity.house", f"{self.house}|{self.postcode}"),
        }

    def near(self, other: IdentityParts) -> bool:
        """Same postcode and either the same surname or the same house, but not the same key."""
        if self.postcode != other.postcode or self.text == other.text:
            return False
        return self.surname == other.surname or self.house == other.house


def identity_key(*, name: str, house: str, postcode: str) -> str:
    """The exact key of a person, or "" when name, house or postcode is missing."""
    parts = IdentityParts.of(name=name, house=house, postcode=postcode)
    return parts.key() if parts.complete else ""
