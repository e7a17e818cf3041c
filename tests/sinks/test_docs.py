"""docs/parcels.md documents every mapped column, every sink-type attribute and every parcel code."""

from __future__ import annotations

from sinkledger.config import REPO_ROOT
from sinks import SINK_TYPES
from sinks.mapping import FIELD_ALIASES

DOC = (REPO_ROOT / "docs" / "parcels.md").read_text(encoding="utf-8")


def test_every_default_column_and_attribute_is_in_the_mapping_table():
    for field, aliases in FIELD_ALIASES.items():
        assert f"`{field}`" in DOC and all(f"`{a}`" in DOC for a in aliases if a != field), field
    for spec in SINK_TYPES.values():
        for attribute in spec.attributes:
            assert f"`{attribute.name}`" in DOC and all(f"`{a}`" in DOC for a in attribute.aliases), attribute.name


def test_every_check_code_is_documented():
    from tests.sinks.test_catalogue import parcel_codes

    internal = {"value_invalid", "field_required", "text_too_long", "party_not_found", "parcel_not_found",
                "not_permitted", "reason_required", "nothing_to_import", "sink_type_unknown", "parcel_code_taken",
                "geometry_empty", "coordinates_not_finite", "attribute_invalid", "attribute_out_of_range",
                "attribute_not_a_choice", "attribute_too_long", "attribute_shares_do_not_sum_to_one",
                "attribute_not_for_sink_type", "household_party_invalid", "household_shares_invalid",
                "household_shares_do_not_sum_to_100_percent", "holder_kind_invalid", "mapping_column_unknown",
                "mapping_field_unknown", "mapping_field_twice", "encoding_detected", "crs_unreadable",
                "file_unreadable", "file_has_several_layers", "shapefile_part_missing", "geometry_unrepairable",
                "parcel_not_active", "parcel_unchanged", "merge_parcels_differ", "merge_area_not_kept",
                "split_area_not_kept", "split_parts_outside_parcel"}
    missing = sorted(c for c in parcel_codes() - internal if f"`{c}`" not in DOC)
    assert not missing, missing
