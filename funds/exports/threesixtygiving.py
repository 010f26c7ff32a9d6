"""360Giving Data Standard 1.4: the funds' grants as open data, JSON package and flat CSV.

Two levels of grants (RULINGS, Money): the funder's grant to the fund holder (each Fund,
marked as a regrant with `regrantType` FRG010, "Common Regrant") and the fund holder's
grants to grantees (each Grant; its funding organisation is the fund holder, and it points
back at the fund's grant with `relatedActivity`). A grant to an individual shows only
"an individual resident" and an identifier made from the grant, never the person: no name,
no address, no email. Amounts are integer pence in the database and pounds in the file,
written exactly (a whole number when there are no pence, else two decimals).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterable, Iterator
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from communities.models import AreaUnit, GeographyUnit

from ..models import Fund, Grant

VERSION = "1.4"

# Fund and grant states that mean "awarded": a proposed fund or a withdrawn grant is not.
AWARDED_FUND_STATES = (
    Fund.Status.AGREEMENT_ISSUED,
    Fund.Status.ACTIVE,
    Fund.Status.SUSPENDED,
    Fund.Status.CLOSING,
    Fund.Status.CLOSED,
)
EXCLUDED_GRANT_STATES = (Grant.Status.WITHDRAWN,)

# ONS area units -> the 360Giving geoCodeType codelist (codelists/geoCodeType.csv).
GEO_CODE_TYPES = {"ward": "WD", "lsoa": "LSOA", "msoa": "MSOA"}
# A local authority district's type is in its GSS code's entity prefix.
LAD_PREFIX_TYPES = {"E06": "UA", "W06": "UA", "E07": "NMD", "E08": "MD", "E09": "LONB"}

REGRANT_TYPE = "FRG010"  # Common Regrant: a grant to one grant-maker for onward grants.
INDIVIDUAL_NAME = "an individual resident"
# A participatory-budget grant to a resident is for a community project, as social action.
INDIVIDUAL_REASON = "GTIR120"
INDIVIDUAL_PURPOSE = "GTIP160"


def id_prefix() -> str:
    """`360G-` plus the publisher's registered prefix (settings.THREESIXTYGIVING_PREFIX)."""
    prefix = settings.THREESIXTYGIVING_PREFIX or "commonpurse"
    return f"360G-{prefix}"


def fund_grant_id(fund_id: int) -> str:
    return f"{id_prefix()}-fund-{fund_id}"


def grant_id(grant_pk: int) -> str:
    return f"{id_prefix()}-grant-{grant_pk}"


def pounds(pence: int) -> int | float:
    """Pounds as a JSON number, exact: an int when whole; otherwise the float nearest to
    pence/100, whose shortest repr is the two-decimal figure (division is correctly rounded
    and a float holds 15 significant digits), so `Decimal(repr(x)) * 100 == pence`."""
    pence = int(pence)
    if pence % 100 == 0:
        return pence // 100
    return pence / 100


def pounds_text(pence: int) -> str:
    """The same figure as text, for the CSV: `150000` or `123.45`."""
    pence = int(pence)
    sign, pence = ("-", -pence) if pence < 0 else ("", pence)
    whole, part = divmod(pence, 100)
    return f"{sign}{whole}" if part == 0 else f"{sign}{whole}.{part:02d}"


def pence_from_pounds(value) -> int:
    """Back from the file's number to pence (used by the tests and the round trip)."""
    return int(Decimal(str(value)) * 100)


def _date(value: dt.date | dt.datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value.isoformat()


def _geo_code_type(unit: AreaUnit) -> str | None:
    if unit.unit_type == "lad":
        return LAD_PREFIX_TYPES.get(unit.code[:3])
    return GEO_CODE_TYPES.get(unit.unit_type)


def _locations(neighbourhood, unit_names: dict[str, str]) -> list[dict]:
    """One beneficiary location per ONS unit of the neighbourhood's area."""
    locations = []
    for unit in neighbourhood.units.all():
        location = {"name": unit_names.get(unit.code) or neighbourhood.name, "countryCode": "GB"}
        location["geoCode"] = unit.code
        code_type = _geo_code_type(unit)
        if code_type:
            location["geoCodeType"] = code_type
        locations.append(location)
    if not locations:
        locations.append({"name": neighbourhood.name, "countryCode": "GB"})
    return locations


def _org(org) -> dict:
    return {"id": org.org_id, "name": org.name}


def _planned(start, end) -> list[dict]:
    if start is None and end is None:
        return []
    event = {}
    if start is not None:
        event["startDate"] = _date(start)
    if end is not None:
        event["endDate"] = _date(end)
    return [event]


def fund_grant(fund: Fund, locations: list[dict]) -> dict:
    """The funder's grant to the fund holder, to be granted on to the neighbourhood."""
    grant = {
        "id": fund_grant_id(fund.pk),
        "title": fund.name,
        "description": (
            f"A devolved budget for {fund.neighbourhood.name}, held by {fund.holder.name}; "
            "residents decide how it is spent and the fund holder makes the grants."
        ),
        "currency": "GBP",
        "amountAwarded": pounds(fund.total_committed_pence),
        "awardDate": _date(fund.agreement_issued_at or fund.starts_on),
        "recipientOrganization": [_org(fund.holder)],
        "fundingOrganization": [_org(fund.funder)],
        "beneficiaryLocation": locations,
        "plannedDates": _planned(fund.starts_on, fund.ends_on),
        "grantProgramme": [{"code": f"{id_prefix()}-funds", "title": programme_title()}],
        "fromOpenCall": "No",
        "regrantType": REGRANT_TYPE,
    }
    return _drop_empty(grant)


def programme_title() -> str:
    return getattr(settings, "THREESIXTYGIVING_PROGRAMME", "") or "Neighbourhood funds"


def grantee_grant(grant: Grant, locations: list[dict]) -> dict:
    """The fund holder's grant to a grantee, made from the fund (a regrant)."""
    fund = grant.fund
    if grant.proposal_id:
        description = grant.proposal.summary or grant.title
    else:
        description = f"Running costs of {fund.holder.name} for {fund.name}."
    data = {
        "id": grant_id(grant.pk),
        "title": grant.title,
        "description": description,
        "currency": "GBP",
        "amountAwarded": pounds(grant.amount_pence),
        "awardDate": _date(grant.approved_at),
        "fundingOrganization": [_org(fund.holder)],
        "beneficiaryLocation": locations,
        "plannedDates": _planned(grant.planned_start, grant.planned_end),
        "grantProgramme": [{"code": fund_grant_id(fund.pk), "title": fund.name}],
        # Projects come from proposals any resident could put forward and residents voted
        # on; running costs are the fund holder's own.
        "fromOpenCall": "Yes" if grant.purpose == Grant.Purpose.PROJECT else "No",
        "relatedActivity": [fund_grant_id(fund.pk)],
    }
    if grant.recipient_user_id:
        data["recipientIndividual"] = {
            "id": f"{id_prefix()}-individual-{grant.pk}",
            "name": INDIVIDUAL_NAME,
        }
        data["toIndividualsDetails"] = {
            "primaryGrantReason": INDIVIDUAL_REASON,
            "grantPurpose": [INDIVIDUAL_PURPOSE],
        }
    else:
        data["recipientOrganization"] = [_org(grant.recipient_organisation)]
    return _drop_empty(data)


def _drop_empty(data: dict) -> dict:
    return {key: value for key, value in data.items() if value not in (None, [], "")}


def funds_for_export(fund_ids: Iterable[int] | None = None):
    qs = (
        Fund.objects.filter(status__in=AWARDED_FUND_STATES)
        .select_related("neighbourhood", "funder", "holder")
        .prefetch_related("neighbourhood__units")
        .order_by("pk")
    )
    if fund_ids is not None:
        qs = qs.filter(pk__in=list(fund_ids))
    return qs


def iter_grants(fund_ids: Iterable[int] | None = None) -> Iterator[dict]:
    """Every awarded fund, each followed by its awarded grants (oldest first)."""
    funds = list(funds_for_export(fund_ids))
    codes = {unit.code for fund in funds for unit in fund.neighbourhood.units.all()}
    unit_names = dict(
        GeographyUnit.objects.filter(code__in=codes)
        .order_by("code", "vintage")
        .values_list("code", "name")
    )
    for fund in funds:
        locations = _locations(fund.neighbourhood, unit_names)
        yield fund_grant(fund, locations)
        grants = (
            Grant.objects.filter(fund=fund)
            .exclude(status__in=EXCLUDED_GRANT_STATES)
            .select_related("proposal", "recipient_organisation")
            .order_by("approved_at", "pk")
        )
        for grant in grants.iterator(chunk_size=500):
            grant.fund = fund
            yield grantee_grant(grant, locations)


def package(fund_ids: Iterable[int] | None = None) -> dict:
    """A 360Giving data package: `{"grants": [...], "version": "1.4"}`."""
    return {"grants": list(iter_grants(fund_ids)), "version": VERSION}


# The flat CSV: the standard's column titles (the grant schema's titles, ":"-joined, as
# flattentool and the 360Giving templates write them). Arrays of one object roll up into
# plain titles; beneficiary locations get an index when any grant has more than one.
SCALAR_COLUMNS = [
    ("Identifier", ("id",)),
    ("Title", ("title",)),
    ("Description", ("description",)),
    ("Currency", ("currency",)),
    ("Amount Awarded", ("amountAwarded",)),
    ("Award Date", ("awardDate",)),
    ("Recipient Org:Identifier", ("recipientOrganization", 0, "id")),
    ("Recipient Org:Name", ("recipientOrganization", 0, "name")),
    ("Recipient Ind:Identifier", ("recipientIndividual", "id")),
    ("Recipient Ind:Name", ("recipientIndividual", "name")),
    ("To Individuals Details:Primary Grant Reason", ("toIndividualsDetails", "primaryGrantReason")),
    ("To Individuals Details:Grant Purpose", ("toIndividualsDetails", "grantPurpose")),
    ("Funding Org:Identifier", ("fundingOrganization", 0, "id")),
    ("Funding Org:Name", ("fundingOrganization", 0, "name")),
    ("Planned Dates:Start Date", ("plannedDates", 0, "startDate")),
    ("Planned Dates:End Date", ("plannedDates", 0, "endDate")),
    ("Grant Programme:Code", ("grantProgramme", 0, "code")),
    ("Grant Programme:Title", ("grantProgramme", 0, "title")),
    ("From An Open Call?", ("fromOpenCall",)),
    ("For Regrant Type", ("regrantType",)),
    ("Related Activity", ("relatedActivity",)),
]
LOCATION_COLUMNS = [
    ("Name", "name"),
    ("Country Code", "countryCode"),
    ("Geographic Code", "geoCode"),
    ("Geographic Code Type", "geoCodeType"),
]


def _pick(data, path):
    for part in path:
        if isinstance(part, int):
            data = data[part] if isinstance(data, list) and len(data) > part else None
        else:
            data = data.get(part) if isinstance(data, dict) else None
        if data is None:
            return ""
    return data


def _cell(value, title: str) -> str:
    if title == "Amount Awarded":
        return pounds_text(round(Decimal(str(value)) * 100))
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return str(value)


def csv_rows(grants: list[dict]) -> Iterator[list[str]]:
    """The header, then one row per grant."""
    most = max((len(g.get("beneficiaryLocation", [])) for g in grants), default=0)
    if most <= 1:
        location_titles = [(f"Beneficiary Location:{t}", 0, key) for t, key in LOCATION_COLUMNS]
    else:
        location_titles = [
            (f"Beneficiary Location:{i}:{t}", i, key)
            for i in range(most)
            for t, key in LOCATION_COLUMNS
        ]
    yield [title for title, _ in SCALAR_COLUMNS] + [title for title, _, _ in location_titles]
    for grant in grants:
        row = [_cell(_pick(grant, path), title) for title, path in SCALAR_COLUMNS]
        row += [
            str(_pick(grant, ("beneficiaryLocation", index, key)))
            for _, index, key in location_titles
        ]
        yield row


def write_csv(grants: list[dict], out: io.TextIOBase) -> None:
    writer = csv.writer(out, lineterminator="\r\n")
    for row in csv_rows(grants):
        writer.writerow(row)


def package_chunks(grants: Iterator[dict]) -> Iterator[str]:
    """A 360Giving package as text chunks, one grant at a time (downloads and files alike)."""
    yield '{"grants": ['
    for index, grant in enumerate(grants):
        yield ("," if index else "") + "\n" + json.dumps(grant, ensure_ascii=False)
    yield f'\n], "version": "{VERSION}"}}\n'
