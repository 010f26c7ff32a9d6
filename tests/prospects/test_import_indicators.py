"""import_indicators: the long format, idempotent (re-importing a year replaces it and the same
file changes nothing), a bad line names itself and nothing is imported."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from prospects.models import Indicator, IndicatorRelease, IndicatorValue
from prospects.services import indicators_import
from prospects.services.indicators import ImportFileError

from .factories import HEADER, csv_bytes, declare, load

pytestmark = pytest.mark.django_db

ROWS = [
    ("E05000001", "employment_rate", 2020, 60),
    ("E05000002", "employment_rate", 2020, 50),
    ("E05000001", "employment_rate", 2021, 61),
    ("E05000001", "claimant_rate", 2020, 5.5, 1200),
]


def _values():
    return set(
        IndicatorValue.objects.values_list(
            "indicator__key", "code", "period", "value", "denominator"
        )
    )


def test_declarations_are_data_with_name_unit_direction_source_and_licence():
    declare()
    claimant = Indicator.objects.get(key="claimant_rate")
    assert claimant.name == "Claimant count"
    assert claimant.unit == "percent"
    assert claimant.higher_is_better is False
    assert claimant.matching is True
    assert claimant.source == "ONS claimant count" and claimant.licence == "OGL v3"


def test_import_loads_values_and_the_same_file_again_changes_nothing():
    declare()
    first = load(ROWS)
    assert (first.created, first.updated, first.deleted) == (4, 0, 0)
    assert ("claimant_rate", "E05000001", 2020, 5.5, 1200.0) in _values()
    assert IndicatorRelease.objects.count() == 3  # (employment 2020, 2021), (claimant 2020)
    before = _values()
    again = load(ROWS)
    assert (again.created, again.updated, again.deleted, again.unchanged) == (0, 0, 0, 4)
    assert _values() == before


def test_reimporting_a_year_replaces_that_year_and_leaves_other_years_alone():
    declare()
    load(ROWS)
    # employment 2020 again: E05000001 changed, E05000002 gone, E05000003 new.
    result = load(
        [("E05000001", "employment_rate", 2020, 62), ("E05000003", "employment_rate", 2020, 40)]
    )
    assert (result.created, result.updated, result.deleted) == (1, 1, 1)
    assert _values() == {
        ("employment_rate", "E05000001", 2020, 62.0, None),
        ("employment_rate", "E05000003", 2020, 40.0, None),
        ("employment_rate", "E05000001", 2021, 61.0, None),  # another year: untouched
        ("claimant_rate", "E05000001", 2020, 5.5, 1200.0),  # another indicator: untouched
    }


def test_a_row_repeated_in_the_file_counts_once_and_the_last_line_wins():
    declare()
    result = load(
        [("E05000001", "employment_rate", 2020, 1), ("E05000001", "employment_rate", 2020, 2)]
    )
    assert result.created == 1
    assert IndicatorValue.objects.get().value == 2.0


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("E05000009,employment_rate,2020,abc,,s,l", "Line 3: value 'abc' is not a number."),
        ("X123,employment_rate,2020,1,,s,l", "Line 3: 'X123' is not an ONS code"),
        ("E05000009,happiness,2020,1,,s,l", "Line 3: indicator 'happiness' is not declared."),
        ("E05000009,employment_rate,20x0,1,,s,l", "Line 3: period '20x0' is not a year"),
        ("E05000009,employment_rate,2020,1,0,s,l", "Line 3: the denominator must be more than 0."),
        ("E05000009,employment_rate,2020,nan,,s,l", "Line 3: value 'nan' is not a finite number."),
    ],
)
def test_a_bad_line_is_named_and_nothing_is_imported(line, message):
    declare()
    load(ROWS)
    before = _values()
    text = HEADER + "E05000001,employment_rate,2020,99,,s,l\n" + line + "\n"
    with pytest.raises(ImportFileError) as excinfo:
        indicators_import(stream=csv_bytes(text))
    assert message in excinfo.value.message
    assert _values() == before  # not even line 2, which was good


def test_the_command_declares_imports_and_reports_and_refuses_a_bad_file(tmp_path):
    declarations = tmp_path / "declared.csv"
    from .factories import DECLARATIONS

    declarations.write_text(DECLARATIONS)
    values = tmp_path / "values.csv"
    values.write_text(HEADER + "E05000001,employment_rate,2020,60,,s,l\n")
    out = io.StringIO()
    call_command(
        "import_indicators", str(values), declarations=str(declarations), quiet=True, stdout=out
    )
    assert "Declared 3 indicators." in out.getvalue()
    assert "1 new, 0 changed, 0 removed, 0 unchanged" in out.getvalue()
    out = io.StringIO()
    call_command("import_indicators", str(values), quiet=True, stdout=out)
    assert "0 new, 0 changed, 0 removed, 1 unchanged" in out.getvalue()
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "E05000001,employment_rate,2020,60,,s,l\nE05000001,nope,2020,1,,s,l\n")
    with pytest.raises(
        CommandError, match=r"Line 3: indicator 'nope' is not declared.*Nothing was imported"
    ):
        call_command("import_indicators", str(bad), quiet=True)


def test_a_file_without_the_required_columns_is_refused():
    declare()
    with pytest.raises(ImportFileError, match="has no value column"):
        indicators_import(stream=csv_bytes("code,indicator,period\nE05000001,population,2020\n"))


def test_the_shipped_sample_file_says_it_is_synthetic_in_its_name_and_source_column():
    from prospects.demo import DECLARATIONS, VALUES

    assert "SYNTHETIC" in VALUES.name
    with open(DECLARATIONS, "rb") as f:
        from prospects.services import indicator_declarations_import

        indicator_declarations_import(stream=f)
    with open(VALUES, "rb") as f:
        result = indicators_import(stream=f)
    assert result.created > 1000
    assert set(IndicatorRelease.objects.values_list("source", flat=True)) == {
        "SYNTHETIC demo data made up for Common Purse, not real statistics"
    }
