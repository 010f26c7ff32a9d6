"""import_geography and import_postcodes: idempotent, streaming, all or nothing, clear errors."""

import io

import pytest
from django.core.management import CommandError, call_command

from communities.models import GeographyUnit, Postcode
from tests.factories import NeighbourhoodFactory

from .conftest import SAMPLE

pytestmark = pytest.mark.django_db

HEADER = "postcode,ward_code,lsoa_code,msoa_code,lad_code\n"


def run(command, tmp_path, content: bytes | str, *args):
    path = tmp_path / "file.csv"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    out, err = io.StringIO(), io.StringIO()
    call_command(command, str(path), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_sample_geography_imports_and_is_idempotent():
    out = io.StringIO()
    call_command(
        "import_geography", str(SAMPLE / "geography.csv"), stdout=out, stderr=io.StringIO()
    )
    assert "12 new" in out.getvalue()
    unit = GeographyUnit.objects.get(code="E05011111", vintage=2023)
    assert unit.left_behind and unit.imd_decile == 1 and unit.unit_type == "ward"
    out = io.StringIO()
    call_command(
        "import_geography", str(SAMPLE / "geography.csv"), stdout=out, stderr=io.StringIO()
    )
    assert "0 new" in out.getvalue()
    assert GeographyUnit.objects.count() == 12


def test_geography_import_refreshes_neighbourhood_flags(tmp_path, geography):
    nb = NeighbourhoodFactory(units=["E05022222"])
    nb.refresh_from_db()
    assert not nb.left_behind
    run(
        "import_geography",
        tmp_path,
        "code,unit_type,vintage,name,local_authority,imd_decile,left_behind\n"
        "E05022222,ward,2023,Riverside Park,Examplebury,1,yes\n",
    )
    nb.refresh_from_db()
    assert nb.left_behind and nb.imd_decile == 1


def test_postcodes_normalised_upserted_and_progress_shown(tmp_path):
    out, err = run(
        "import_postcodes",
        tmp_path,
        HEADER + "zz1 1aa,E05011111,,,\nZZ11AB,E05011111,E01099001,,\n",
    )
    assert set(Postcode.objects.values_list("postcode", flat=True)) == {"ZZ11AA", "ZZ11AB"}
    assert "2 new" in out
    assert "100.0%" in err and "2 rows" in err
    run("import_postcodes", tmp_path, HEADER + "ZZ1 1AA,E05022222,,,\n", "--quiet")
    assert Postcode.objects.get(postcode="ZZ11AA").ward_code == "E05022222"
    assert Postcode.objects.count() == 2


def test_ons_headers_are_understood(tmp_path):
    run(
        "import_postcodes",
        tmp_path,
        "pcds,wd23cd,lsoa21cd,msoa21cd,lad23cd\nZZ1 1AA,E05011111,E01099001,E02099001,E08000099\n",
    )
    row = Postcode.objects.get()
    assert (row.ward_code, row.lsoa_code, row.msoa_code, row.lad_code) == (
        "E05011111",
        "E01099001",
        "E02099001",
        "E08000099",
    )


@pytest.mark.parametrize(
    "content, message",
    [
        (
            HEADER + "ZZ1 1AA,E05011111,,,\nNOT-A-PC,E05011111,,,\n",
            "Line 3: 'NOT-A-PC' is not a UK postcode",
        ),
        (
            HEADER + "ZZ1 1AA,E05011111,,,\nZZ1 1AB,BAD,,,\n",
            "Line 3: ward_code 'BAD' is not an ONS code",
        ),
        (HEADER + "ZZ1 1AA,,,,\n", "Line 2: postcode ZZ1 1AA has no unit codes"),
        ("ward_code,lsoa_code\nE05011111,\n", "has no postcode column"),
        ("postcode,name\nZZ1 1AA,x\n", "has no ward_code"),
        ("", "is empty"),
        (
            HEADER.encode() + b"ZZ1 1AA,E05011111,,,\nZZ1 1AB,E0501\xff\xfe,,,\n",
            "Line 3 of the postcode file is not UTF-8",
        ),
        (b"\xff\xfepostcode\n", "Line 1 of the postcode file is not UTF-8"),
    ],
)
def test_bad_postcode_files_name_the_line_and_change_nothing(tmp_path, content, message):
    Postcode.objects.create(postcode="ZZ99ZZ", ward_code="E05000001")
    with pytest.raises(CommandError) as info:
        run("import_postcodes", tmp_path, content, "--quiet")
    assert message in str(info.value)
    assert "Nothing was imported" in str(info.value)
    assert list(Postcode.objects.values_list("postcode", flat=True)) == ["ZZ99ZZ"]


def test_a_bad_line_after_many_batches_rolls_everything_back(tmp_path):
    lines = [f"ZZ{d} {s}AA,E05011111,,," for d in range(1, 30) for s in range(10)]
    content = HEADER + "\n".join(lines) + "\nbroken,E05011111,,,\n"
    with pytest.raises(CommandError, match=f"Line {len(lines) + 2}:"):
        run("import_postcodes", tmp_path, content, "--quiet", "--batch-size", "50")
    assert not Postcode.objects.exists()


@pytest.mark.parametrize(
    "line, message",
    [
        ("E05X,ward,2023,A,B,1,yes", "is not an ONS code"),
        ("E05000001,county,2023,A,B,1,yes", "unit type 'county'"),
        ("E05000001,ward,23,A,B,1,yes", "vintage '23' is not a year"),
        ("E05000001,ward,2023,A,B,11,yes", "IMD decile '11'"),
        ("E05000001,ward,2023,A,B,1,maybe", "left_behind 'maybe'"),
        ("E05000001,ward,2023,,B,1,yes", "name is missing"),
        # Unicode digits are not years, deciles or codes (they used to crash int()).
        ("E05000001,ward,²,A,B,1,yes", "vintage '²' is not a year"),
        ("E05000001,ward,2023,A,B,¹,yes", "IMD decile '¹'"),
        ("E٠٥٠٠٠٠٠١,ward,2023,A,B,1,yes", "is not an ONS code"),
        ("E05000001,ward,2023,A\x00,B,1,yes", "NUL character"),
        ('E05000001,ward,2023,"A,B,1,yes', "unexpected end of data"),
    ],
)
def test_bad_geography_lines_are_refused(tmp_path, line, message):
    content = "code,unit_type,vintage,name,local_authority,imd_decile,left_behind\n" + line + "\n"
    with pytest.raises(CommandError, match=message) as info:
        run("import_geography", tmp_path, content)
    assert "Line 2" in str(info.value)
    assert not GeographyUnit.objects.exists()


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="There is no file"):
        call_command("import_postcodes", str(tmp_path / "nope.csv"))


@pytest.mark.parametrize(
    "content, message",
    [
        (HEADER + "LS6 3AB,E٠٥٠٠٠٠٠١,,,\n", "is not an ONS code"),
        (HEADER + "LS6 3AB,E05000001,,,\nLS6 3AC,E05000001\x00,,,\n", "Line 3.*NUL"),
        (HEADER + 'LS6 3AB,"E05000001,,,\n', "Line 2.*unexpected end of data"),
    ],
)
def test_hostile_postcode_files_are_refused_naming_the_line(tmp_path, content, message):
    with pytest.raises(CommandError, match=message):
        run("import_postcodes", tmp_path, content)
    assert not Postcode.objects.exists()
