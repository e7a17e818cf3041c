"""Property tests for what every registry mapping reads: serial formats (each format of each
mapping file, so a new mapping's formats are tested without a new test) and cell values
(thousands separators, zero-width characters, US dates, kg and t, acres and hectares)."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ledger.registry_import.mapping import load_mapping, mappings
from ledger.registry_import.serials import MappingInvalid, SerialFormat
from ledger.registry_import.values import (
    clean,
    parse_amount_kg,
    parse_area_m2,
    parse_iso_date,
    parse_us_date,
    parse_year,
    whole_tonnes,
)

FORMATS = [(m.registry, name, fmt) for m in mappings().values() for name, fmt in sorted(m.serial_formats.items())]
RANGE_FORMATS = [f for f in FORMATS if "first" in f[2].pattern.groupindex]
ZERO_WIDTH = st.sampled_from(["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"])


def test_every_registry_with_serials_has_its_formats_tested() -> None:
    assert {r for r, _, _ in FORMATS} == {"verra", "gold-standard", "acr", "car", "art-trees", "cercarbono"}
    assert all(fmt.examples for _, _, fmt in FORMATS)


@pytest.mark.parametrize("registry,name,fmt", FORMATS, ids=[f"{r}:{n}" for r, n, _ in FORMATS])
@settings(max_examples=40, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much], deadline=None)
@given(data=st.data())
def test_any_serial_a_format_admits_parses_and_renders_back(registry: str, name: str, fmt: SerialFormat,
                                                            data: st.DataObject) -> None:
    """Given any text the format's pattern matches, when it is parsed and rendered from its
    groups, then the rendering parses to the same prefix and numbers (the numbers are exactly
    the ones written, the prefix does not hold them)."""
    serial = data.draw(st.from_regex(fmt.pattern, fullmatch=True), label="serial")
    parsed = fmt.parse(serial)
    assert parsed is not None
    again = fmt.parse(fmt.render.format(**parsed.groups))
    assert again is not None and (again.prefix, again.first, again.last) == (parsed.prefix, parsed.first, parsed.last)
    if parsed.first is not None:
        assert (parsed.first, parsed.last) == (int(parsed.groups["first"]), int(parsed.groups["last"]))


@pytest.mark.parametrize("registry,name,fmt", RANGE_FORMATS, ids=[f"{r}:{n}" for r, n, _ in RANGE_FORMATS])
@settings(max_examples=60, deadline=None)
@given(first=st.integers(1, 2**31 - 1), size=st.integers(0, 10**7), example=st.integers(0, 10))
def test_a_block_s_numbers_are_read_exactly_and_its_prefix_does_not_depend_on_them(
        registry: str, name: str, fmt: SerialFormat, first: int, size: int, example: int) -> None:
    """Given a real serial of the format with other numbers written in, then the block read is
    exactly first..last and the prefix is the real serial's."""
    base = fmt.parse(fmt.examples[example % len(fmt.examples)])
    assert base is not None
    serial = fmt.render.format(**{**base.groups, "first": str(first), "last": str(first + size)})
    parsed = fmt.parse(serial)
    assert parsed is not None and (parsed.prefix, parsed.first, parsed.last) == (base.prefix, first, first + size)


def test_the_formats_read_the_registries_serials() -> None:
    gs = mappings()["gold-standard"].serial_formats
    cer = gs["cdm_cer"].parse("RW-5-1463953-2-2-0-7014 - RW-5-1467609-2-2-0-7014")
    assert cer is not None and (cer.prefix, cer.first, cer.last) == ("RW-5-2-2-0-7014", 1463953, 1467609)
    assert gs["gs"].parse("RW-5-1463953-2-2-0-7014 - RW-5-1467609-2-2-0-7014") is None
    assert gs["cdm_cer"].parse("RW-5-1463953-2-2-0-7014 - RW-6-1467609-2-2-0-7014") is None  # other unit type
    verra = mappings()["verra"].serial_formats["verra"]
    parsed = verra.parse("19385-941467007-941467431-VCS-VCU-1507-VER-ET-14-1340-01012020-31122020-1")
    assert parsed is not None and parsed.prefix == "VCS-VCU-1507-VER-ET-14-1340-01012020-31122020-1"
    assert verra.check_values(parsed) == {"project_id": "1340", "period_start": date(2020, 1, 1),
                                          "period_end": date(2020, 12, 31)}
    car = mappings()["car"].serial_formats["car"].parse("CAR-ROC-US-2056-129-2283-WV-2025-8969-1 to 260294")
    assert car is not None and (car.prefix, car.first, car.last) == ("CAR-ROC-US-2056-129-2283-WV-2025-8969", 1, 260294)
    cdc = mappings()["cercarbono"].serial_formats["cdc"].parse("CDC_4_1_1_321_14_R1_XX_CO_1_2_BFC_2018")
    assert cdc is not None and (cdc.prefix, cdc.first, cdc.last) == ("CDC_4_1_1_321_14_R1_XX_CO_1_2_BFC_2018", None, None)


BAD_MAPPINGS = {
    "unknown group": """registry = "x"\n[serial_formats.a]\npattern = '^(?P<p>X)-(?P<first>\\d+)-(?P<last>\\d+)$'
prefix = "{q}"\nrender = "{p}-{first}-{last}"\n""",
    "example does not parse": """registry = "x"\n[serial_formats.a]\npattern = '^X-(?P<first>\\d+)-(?P<last>\\d+)$'
prefix = "X"\nrender = "X-{first}-{last}"\nexamples = ["Y-1-2"]\n""",
    "unknown field": """registry = "x"\n[[files]]\nkind = "events"\nmatch = ["a"]\nstatus = "issued"
[files.fields]\nproject_id = "a"\nquantity_tonnes = "b"\n""",
    "bad key": """registry = "X Y"\n"""}


@pytest.mark.parametrize("why", sorted(BAD_MAPPINGS))
def test_a_mapping_that_cannot_be_used_is_refused_at_load(tmp_path, why: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "x.toml"
    path.write_text(BAD_MAPPINGS[why], encoding="utf-8")
    with pytest.raises(MappingInvalid):
        load_mapping(path)


# --- cell values ----------------------------------------------------------------------------------

def _with_zero_width(text: str, data: st.DataObject) -> str:
    at = data.draw(st.integers(0, len(text)))
    return text[:at] + data.draw(ZERO_WIDTH) + text[at:]


@given(tonnes=st.integers(0, 10**12), data=st.data())
def test_tonnes_read_with_or_without_separators_floats_and_zero_width_characters(tonnes: int,
                                                                               data: st.DataObject) -> None:
    for text in (str(tonnes), f"{tonnes:,}", f"{tonnes}.0", f"{tonnes:,}.00"):
        assert parse_amount_kg(_with_zero_width(text, data), "t") == tonnes * 1000
    assert parse_amount_kg(f"{tonnes:_}", "t") in (None, tonnes * 1000)  # "_" only where no separator fits


@given(kg=st.integers(0, 10**13))
def test_kilograms_and_decimal_tonnes_agree_and_floor_to_whole_tonnes(kg: int) -> None:
    decimal_t = str(Decimal(kg) / 1000)
    assert parse_amount_kg(str(kg), "kg") == kg == parse_amount_kg(decimal_t, "t")
    tonnes, rest = whole_tonnes(kg)
    assert tonnes * 1000 + rest == kg and 0 <= rest < 1000


@given(st.sampled_from(["1.234,5", "-5", "1e3", "１０", "٣", "12 345", "1,23", "0.0001"]))
def test_what_is_not_a_plain_amount_is_not_read(text: str) -> None:
    assert parse_amount_kg(text, "t") is None  # "0.0001" t is a tenth of a kilogram


@given(day=st.dates(date(1900, 1, 1), date(2199, 12, 31)), moment=st.times(), pm=st.booleans(), data=st.data())
def test_us_dates_with_and_without_a_time_read_as_that_day(day: date, moment: time, pm: bool,
                                                           data: st.DataObject) -> None:
    hour = moment.hour % 12 or 12
    for text in (f"{day.month}/{day.day}/{day.year}", f"{day.month:02d}/{day.day:02d}/{day.year}",
                 f"{day.month}/{day.day}/{day.year} {hour}:{moment.minute:02d}:{moment.second:02d} "
                 f"{'PM' if pm else 'AM'}"):
        assert parse_us_date(_with_zero_width(text, data)) == day
    assert parse_iso_date(datetime.combine(day, moment).isoformat()) == day
    assert parse_iso_date(f"{day.isoformat()} {moment.strftime('%H:%M:%S')}") == day


@given(month=st.integers(13, 99), day=st.integers(1, 28), year=st.integers(1900, 2199))
def test_a_day_first_date_is_not_read_as_a_us_date(month: int, day: int, year: int) -> None:
    assert parse_us_date(f"{month}/{day}/{year}") is None


@given(acres=st.decimals(0, 10**7, places=2), hectares=st.decimals(0, 10**7, places=2))
def test_acres_and_hectares_become_square_metres(acres: Decimal, hectares: Decimal) -> None:
    assume(acres.is_finite() and hectares.is_finite())
    assert parse_area_m2(str(hectares), "ha") == int((hectares * 10_000).to_integral_value())
    m2 = parse_area_m2(str(acres), "acre")
    assert m2 is not None and abs(m2 - float(acres) * 4046.8564224) <= 1


@given(year=st.integers(1900, 2199))
def test_vintages_as_spreadsheets_write_them(year: int) -> None:
    assert parse_year(str(year)) == parse_year(f"{year}.0") == parse_year(f" {year} ") == year
    assert parse_year(f"{year}.5") is None and parse_year(str(year)[:3]) is None


def test_zero_width_characters_go_and_other_text_stays_verbatim() -> None:
    assert clean("Sustentáveis \u200b\u200bem Moçambique\n") == "Sustentáveis em Moçambique\n"
    assert clean("Guaraná | Surreal\u00a0Hotel") == "Guaraná | Surreal\u00a0Hotel"
