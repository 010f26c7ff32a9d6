"""Register a neighbourhood, submit it, and verify or reject it (platform admins)."""

from __future__ import annotations

import json
import math
import re
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from audit.services import audit_record
from config.errors import ApplicationError, ForbiddenError, StateError
from config.text import has_control_characters, spoofing_problem

from .. import permissions as perms
from ..models import (
    AreaUnit,
    GeographyUnit,
    Neighbourhood,
    Postcode,
    Role,
    RoleAssignment,
    UnitType,
)
from ..selectors import partnership_health
from ._common import clean
from .postcodes import format_postcode, postcode_or_none

Status = Neighbourhood.Status

# Allowed transitions; one service per arrow (closing and closed belong to the funds work).
TRANSITIONS: dict[str, set[str]] = {
    Status.DRAFT: {Status.SUBMITTED},
    Status.SUBMITTED: {Status.VERIFIED, Status.REJECTED},
    Status.VERIFIED: {Status.ACTIVE},
    Status.ACTIVE: {Status.CLOSING},
    Status.CLOSING: {Status.CLOSED},
    Status.CLOSED: set(),
    Status.REJECTED: set(),
}

# ASCII digits only: \d and str.isdigit() also accept '²' or Arabic-Indic digits.
UNIT_CODE_RE = re.compile(r"[EWSN][0-9]{8}")
YEAR_RE = re.compile(r"[0-9]{4}")
MAX_UNITS = 200
MAX_BOUNDARY_CHARS = 1_000_000


def _ensure_transition(neighbourhood: Neighbourhood, target: str) -> None:
    if target not in TRANSITIONS[neighbourhood.status]:
        raise StateError(
            f"{neighbourhood.name} is {neighbourhood.get_status_display().lower()}, "
            f"so it cannot become {Status(target).label.lower()}."
        )


def _locked(neighbourhood: Neighbourhood) -> Neighbourhood:
    return Neighbourhood.objects.select_for_update().get(pk=neighbourhood.pk)


def parse_units(text: str) -> list[tuple[str, int | None]]:
    """One unit per line or comma: 'E05001234 2017' or just 'E05001234' (latest vintage)."""
    units: list[tuple[str, int | None]] = []
    for raw in re.split(r"[\n,;]+", text or ""):
        parts = raw.split()
        if not parts:
            continue
        code = parts[0].upper()
        if not UNIT_CODE_RE.fullmatch(code) or len(parts) > 2:
            raise ApplicationError(
                f"'{raw.strip()}' is not an ONS unit code. "
                "Write one per line, like E05001234 2017.",
                extra={"field": "units"},
            )
        vintage = None
        if len(parts) == 2:
            if not YEAR_RE.fullmatch(parts[1]) or not 1990 <= int(parts[1]) <= 2100:
                raise ApplicationError(
                    f"'{parts[1]}' is not a year (in '{raw.strip()}').", extra={"field": "units"}
                )
            vintage = int(parts[1])
        units.append((code, vintage))
    if not units:
        raise ApplicationError(
            "Give at least one ONS unit code for the area.", extra={"field": "units"}
        )
    if len(units) > MAX_UNITS:
        raise ApplicationError(
            f"An area can have at most {MAX_UNITS} units.", extra={"field": "units"}
        )
    return units


# Which unit a postcode or place name stands for, most local first (wards are what residents
# know; LSOAs and MSOAs where the reference data has no ward).
_UNIT_PREFERENCE = [UnitType.WARD, UnitType.LSOA, UnitType.MSOA, UnitType.LAD]


def _unit_for_postcode(normalised: str) -> tuple[str, None]:
    row = Postcode.objects.filter(postcode=normalised).first()
    if row is None:
        raise ApplicationError(
            f"We could not find the postcode {format_postcode(normalised)} in our list. "
            "Check it, or type the name of the ward instead.",
            extra={"field": "places"},
        )
    codes = [row.ward_code, row.lsoa_code, row.msoa_code]
    known = set(
        GeographyUnit.objects.filter(code__in=[c for c in codes if c]).values_list(
            "code", flat=True
        )
    )
    for code in codes:
        if code and code in known:
            return (code, None)
    raise ApplicationError(
        f"The postcode {format_postcode(normalised)} is in an area we have no details of yet. "
        "A platform admin can add it; or type a nearby ward's name.",
        extra={"field": "places"},
    )


def _unit_for_place(name: str) -> tuple[str, None]:
    found = list(
        GeographyUnit.objects.filter(name__iexact=name)
        .order_by("code", "-vintage")
        .values_list("code", "unit_type", "local_authority")
    )
    if not found:
        raise ApplicationError(
            f"We could not find a ward or area called '{name}'. Check the spelling, or type a "
            "postcode in the area instead.",
            extra={"field": "places"},
        )
    rank = {t: i for i, t in enumerate(_UNIT_PREFERENCE)}
    best = min(rank.get(t, 99) for _c, t, _la in found)
    codes = sorted({(c, la) for c, t, la in found if rank.get(t, 99) == best})
    if len(codes) > 1:
        where = "; ".join(f"{la or 'unknown council'} ({c})" for c, la in codes)
        raise ApplicationError(
            f"More than one area is called '{name}': {where}. Type a postcode in yours instead.",
            extra={"field": "places"},
        )
    return (codes[0][0], None)


def parse_area(*, places: str = "", codes: str = "") -> list[tuple[str, int | None]]:
    """The area's units from what a resident knows: postcodes and ward or place names (one
    per line or comma), plus ONS codes for those who have them (optional detail).

    A postcode stands for the ward it lies in (from the postcode reference data); a name
    must match one ward or area of the geography reference data, or the person is asked for
    a postcode instead.
    """
    units: list[tuple[str, int | None]] = []
    for raw in re.split(r"[\n,;]+", places or ""):
        entry = " ".join(raw.split())
        if not entry:
            continue
        if len(entry) > 120 or has_control_characters(entry):
            raise ApplicationError(
                "Write one postcode or place name per line.", extra={"field": "places"}
            )
        if UNIT_CODE_RE.fullmatch(entry.split()[0].upper()):
            units.extend(parse_units(entry))
            continue
        normalised = postcode_or_none(entry)
        units.append(_unit_for_postcode(normalised) if normalised else _unit_for_place(entry))
    if (codes or "").strip():
        units.extend(parse_units(codes))
    if not units:
        raise ApplicationError(
            "Say where the neighbourhood is: type a postcode in it, or the name of its ward.",
            extra={"field": "places"},
        )
    unique = list(dict.fromkeys(units))
    if len(unique) > MAX_UNITS:
        raise ApplicationError(
            f"An area can have at most {MAX_UNITS} units.", extra={"field": "places"}
        )
    return unique


def _resolve_units(units: list[tuple[str, int | None]]) -> list[GeographyUnit]:
    """Match each code (and vintage) against the reference data; unknown codes are refused."""
    resolved: list[GeographyUnit] = []
    seen: set[tuple[str, int]] = set()
    for code, vintage in units:
        qs = GeographyUnit.objects.filter(code=code)
        if vintage is not None:
            qs = qs.filter(vintage=vintage)
        unit = qs.order_by("-vintage").first()
        if unit is None:
            when = f" ({vintage})" if vintage else ""
            raise ApplicationError(
                f"{code}{when} is not in our geography reference data. Check the code and year.",
                extra={"field": "units"},
            )
        if (unit.code, unit.vintage) not in seen:
            seen.add((unit.code, unit.vintage))
            resolved.append(unit)
    return resolved


def _valid_position(pos: Any) -> bool:
    return (
        isinstance(pos, list)
        and len(pos) in (2, 3)
        and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
            for v in pos
        )
        and -180 <= pos[0] <= 180
        and -90 <= pos[1] <= 90
    )


def _valid_polygon(rings: Any) -> bool:
    if not isinstance(rings, list) or not rings:
        return False
    for ring in rings:
        if not isinstance(ring, list) or len(ring) < 4:
            return False
        if not all(_valid_position(p) for p in ring) or ring[0] != ring[-1]:
            return False
    return True


def parse_boundary(value: str | dict | None) -> dict | None:
    """Accept a GeoJSON Polygon or MultiPolygon (bare, or inside a Feature); return the geometry.

    Each ring needs at least four [longitude, latitude] positions and must be closed.
    """
    if value in (None, "", {}):
        return None
    message = "The boundary must be a GeoJSON Polygon or MultiPolygon."
    if isinstance(value, str):
        if len(value) > MAX_BOUNDARY_CHARS:
            raise ApplicationError(
                f"The boundary is too large: use at most {MAX_BOUNDARY_CHARS:,} characters.",
                extra={"field": "boundary"},
            )
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise ApplicationError(
                f"The boundary is not valid JSON ({exc.msg} at line {exc.lineno}).",
                extra={"field": "boundary"},
            ) from None
        except (ValueError, RecursionError):
            # A number too long to convert, or nesting too deep to read.
            raise ApplicationError(
                f"{message} It could not be read (a number is too long or it is nested "
                "too deeply).",
                extra={"field": "boundary"},
            ) from None
    if isinstance(value, dict) and value.get("type") == "Feature":
        value = value.get("geometry")
    if not isinstance(value, dict):
        raise ApplicationError(message, extra={"field": "boundary"})
    kind = value.get("type")
    coords = value.get("coordinates")
    if kind == "Polygon":
        ok = _valid_polygon(coords)
    elif kind == "MultiPolygon":
        ok = isinstance(coords, list) and bool(coords) and all(_valid_polygon(p) for p in coords)
    else:
        raise ApplicationError(
            f"{message} This one is a {kind or 'shape without a type'}.",
            extra={"field": "boundary"},
        )
    if not ok:
        raise ApplicationError(
            f"{message} Each ring needs at least four [longitude, latitude] points "
            "and must end where it starts.",
            extra={"field": "boundary"},
        )
    return {"type": kind, "coordinates": coords}


# Page addresses that share a URL level with neighbourhood slugs: /neighbourhoods/register/,
# /votes/receipt/ and so on.
RESERVED_SLUGS = {"register", "review", "receipt", "round", "batch", "pot", "new", "api"}


def _checked_name(name: str) -> str:
    """A neighbourhood's name is public, like a title: one line, and no invisible or
    text-direction characters that would let it pass for another (visual spoofing)."""
    name = (name or "").strip()
    if has_control_characters(name):
        raise ApplicationError("The name must be a single line of text.", extra={"field": "name"})
    problem = spoofing_problem(name, "name")
    if problem:
        raise ApplicationError(problem, extra={"field": "name"})
    return name


def _unique_slug(name: str) -> str:
    base = slugify(name)[:120] or "neighbourhood"
    slug, n = base, 2
    while slug in RESERVED_SLUGS or Neighbourhood.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def refresh_reference_flags(neighbourhood: Neighbourhood) -> None:
    """Copy "left behind" and the IMD decile from the reference data of the area's units.

    Left behind only if every unit is flagged (a claim about the whole area); the decile
    shown is the most deprived unit's.
    """
    flags, deciles = [], []
    for area in neighbourhood.units.all():
        ref = GeographyUnit.objects.filter(code=area.code, vintage=area.vintage).first()
        flags.append(bool(ref and ref.left_behind))
        if ref and ref.imd_decile:
            deciles.append(ref.imd_decile)
    neighbourhood.left_behind = bool(flags) and all(flags)
    neighbourhood.imd_decile = min(deciles) if deciles else None
    neighbourhood.save(update_fields=["left_behind", "imd_decile"])


def _set_area(neighbourhood: Neighbourhood, units: list[GeographyUnit]) -> None:
    neighbourhood.units.all().delete()
    AreaUnit.objects.bulk_create(
        AreaUnit(neighbourhood=neighbourhood, code=u.code, unit_type=u.unit_type, vintage=u.vintage)
        for u in units
    )
    refresh_reference_flags(neighbourhood)


@transaction.atomic
def neighbourhood_create(
    *,
    actor,
    name: str,
    description: str = "",
    units: list[tuple[str, int | None]],
    boundary: str | dict | None = None,
    population_estimate: int | None = None,
) -> Neighbourhood:
    """Anyone with a verified email drafts a neighbourhood; the area must use known units."""
    if not perms.can_register_neighbourhood(actor):
        raise ForbiddenError("Confirm your email address before registering a neighbourhood.")
    name = _checked_name(name)
    resolved = _resolve_units(units)
    geometry = parse_boundary(boundary)
    cfg = settings.COMMONPURSE
    neighbourhood = Neighbourhood(
        name=name,
        slug=_unique_slug(name),
        description=description.strip(),
        boundary=geometry,
        population_estimate=population_estimate,
        registrant=actor,
        status=Status.DRAFT,
        min_partnership_members=cfg["PARTNERSHIP_MIN_MEMBERS"],
        min_resident_share=cfg["PARTNERSHIP_MIN_RESIDENT_SHARE"],
        membership_valid_days=cfg["MEMBERSHIP_VALID_DAYS"],
    )
    clean(neighbourhood)
    neighbourhood.save()
    _set_area(neighbourhood, resolved)
    audit_record(
        action="communities.neighbourhood_created",
        actor=actor,
        obj=neighbourhood,
        changes={"name": neighbourhood.name, "units": [u.code for u in resolved]},
    )
    return neighbourhood


@transaction.atomic
def neighbourhood_update(
    *,
    actor,
    neighbourhood: Neighbourhood,
    name: str,
    description: str = "",
    units: list[tuple[str, int | None]],
    boundary: str | dict | None = None,
    population_estimate: int | None = None,
) -> Neighbourhood:
    """The registrant changes their draft before submitting it."""
    neighbourhood = _locked(neighbourhood)
    if not perms.can_edit_neighbourhood(actor, neighbourhood):
        raise ForbiddenError("Only the person who registered a draft can change it.")
    resolved = _resolve_units(units)
    neighbourhood.name = _checked_name(name)
    neighbourhood.description = description.strip()
    neighbourhood.boundary = parse_boundary(boundary)
    neighbourhood.population_estimate = population_estimate
    clean(neighbourhood)
    neighbourhood.save()
    _set_area(neighbourhood, resolved)
    audit_record(
        action="communities.neighbourhood_updated",
        actor=actor,
        obj=neighbourhood,
        changes={"name": neighbourhood.name, "units": [u.code for u in resolved]},
    )
    return neighbourhood


@transaction.atomic
def neighbourhood_submit(*, actor, neighbourhood: Neighbourhood) -> Neighbourhood:
    """The registrant sends their draft to the platform admins for verification."""
    neighbourhood = _locked(neighbourhood)
    _ensure_transition(neighbourhood, Status.SUBMITTED)
    if not perms.can_submit_neighbourhood(actor, neighbourhood):
        raise ForbiddenError("Only the person who registered a draft can submit it.")
    neighbourhood.status = Status.SUBMITTED
    neighbourhood.submitted_at = timezone.now()
    neighbourhood.save(update_fields=["status", "submitted_at"])
    audit_record(action="communities.neighbourhood_submitted", actor=actor, obj=neighbourhood)
    return neighbourhood


@transaction.atomic
def neighbourhood_verify(*, actor, neighbourhood: Neighbourhood) -> Neighbourhood:
    """A platform admin (not the registrant) verifies it; the registrant becomes its first
    trustee and chair, so someone can appoint the rest of the partnership."""
    neighbourhood = _locked(neighbourhood)
    _ensure_transition(neighbourhood, Status.VERIFIED)
    perms.ensure_admin_mfa(actor)
    if not perms.can_verify_neighbourhood(actor, neighbourhood):
        raise ForbiddenError("Only a platform admin who did not register it can verify it.")
    now = timezone.now()
    neighbourhood.status = Status.VERIFIED
    neighbourhood.verified_at = now
    neighbourhood.save(update_fields=["status", "verified_at"])
    for role in (Role.TRUSTEE, Role.CHAIR):
        RoleAssignment.objects.get_or_create(
            user=neighbourhood.registrant,
            neighbourhood=neighbourhood,
            role=role,
            ended_at=None,
            defaults={"appointed_by": actor, "started_at": now},
        )
    audit_record(
        action="communities.neighbourhood_verified",
        actor=actor,
        actor_role="platform_admin",
        obj=neighbourhood,
        changes={"first_trustee_id": neighbourhood.registrant_id},
    )
    neighbourhood_activate_if_ready(neighbourhood=neighbourhood, actor=actor)
    return neighbourhood


@transaction.atomic
def neighbourhood_reject(*, actor, neighbourhood: Neighbourhood, reason: str) -> Neighbourhood:
    """A platform admin rejects a submission, saying why."""
    neighbourhood = _locked(neighbourhood)
    _ensure_transition(neighbourhood, Status.REJECTED)
    perms.ensure_admin_mfa(actor)
    if not perms.can_reject_neighbourhood(actor, neighbourhood):
        raise ForbiddenError("Only a platform admin who did not register it can reject it.")
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError("Say why it is rejected.", extra={"field": "reason"})
    neighbourhood.status = Status.REJECTED
    neighbourhood.rejected_at = timezone.now()
    neighbourhood.rejection_reason = reason
    neighbourhood.save(update_fields=["status", "rejected_at", "rejection_reason"])
    audit_record(
        action="communities.neighbourhood_rejected",
        actor=actor,
        actor_role="platform_admin",
        obj=neighbourhood,
        changes={"reason": reason},
    )
    return neighbourhood


@transaction.atomic
def neighbourhood_activate_if_ready(*, neighbourhood: Neighbourhood, actor=None) -> bool:
    """A verified neighbourhood becomes active once its partnership meets the health rule.

    Called after every change that can make the partnership healthy; a no-op otherwise.
    """
    neighbourhood = _locked(neighbourhood)
    if neighbourhood.status != Status.VERIFIED or not partnership_health(neighbourhood).healthy:
        return False
    neighbourhood.status = Status.ACTIVE
    neighbourhood.activated_at = timezone.now()
    neighbourhood.save(update_fields=["status", "activated_at"])
    audit_record(action="communities.neighbourhood_activated", actor=actor, obj=neighbourhood)
    return True
