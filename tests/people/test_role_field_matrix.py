"""Role × field: what each role sees of each personal field, through the service, on each backend.

The expected table is written out here, independently of :data:`ledger.people.masking.MATRIX`:
F = full, M = masked, H = hidden, for name, resident ID, phone, bank account, bank name; a row
without letters is refused (``not_permitted``): the record does not exist for that actor.
"""

from __future__ import annotations

from ledger.people.masking import MASKS, MATRIX, PersonalField, matrix_markdown
from sinkledger.config import REPO_ROOT
from tests.people.conftest import assert_refused

FIELDS = ("name", "resident_id", "phone", "bank_account", "bank_name")

EXPECTED = [
    # user, purpose, household, what is seen
    ("hh", "self_access", "HH-1", "FFFFF"),  # the household itself
    ("hh", "display", "HH-1", "FMMMF"),  # ... its own data on an ordinary screen
    ("hh", "revenue_payment", "HH-1", "FFFFF"),
    ("hh2", "self_access", "HH-1", None),  # another household
    ("cashier", "revenue_payment", "HH-1", "FFFFF"),  # designated payment officer of the collecting centre
    ("cashier", "data_correction", "HH-2", "FFFFF"),
    ("cashier", "display", "HH-1", "FMMMF"),  # ... browsing
    ("cashier", "audit", "HH-1", "FMMMF"),
    ("cashier", "revenue_payment", "HH-3", None),  # ... not the centre that collected HH-3
    ("centre", "revenue_payment", "HH-1", "FMMMF"),  # other staff of the collecting centre
    ("centre", "display", "HH-2", "FMMMF"),
    ("centre2", "display", "HH-1", None),  # another centre
    ("centre2", "revenue_payment", "HH-3", "FMMMF"),  # ... its own household, without a designation
    ("coop", "display", "HH-1", "FMMMH"),  # the collective of the household's parcel
    ("coop", "revenue_payment", "HH-2", "FMMMH"),
    ("coop", "display", "HH-3", None),  # ... a household with no share in its parcels
    ("admin", "display", "HH-1", "MMMMH"),  # the administrator
    ("admin", "audit", "HH-3", "MMMMH"),
    ("admin", "erasure_request", "HH-2", "MMMMH"),
    ("clerk", "display", "HH-1", None),  # trading-centre clerk
    ("verifier", "display", "HH-1", None),
    ("ent", "display", "HH-1", None),  # enterprise
    ("bank", "display", "HH-1", None),
    ("insurer", "display", "HH-1", None),
    ("court", "display", "HH-1", None),
    ("proc", "display", "HH-1", None),
    ("public", "display", "HH-1", None),
]


def seen_by(api, actor, household: str, purpose: str, details: dict) -> str | None:  # type: ignore[no-untyped-def]
    """What ``actor`` sees, as letters (None: refused), checking each value against its letter."""
    from sinkledger_base.errors import NotPermitted

    try:
        view = api.view(actor, household, purpose)
    except NotPermitted:
        return None
    letters = ""
    for field in FIELDS:
        full, cell = details[field], view["visibility"][field]
        letter = {"full": "F", "masked": "M", "hidden": "H"}[cell]
        expected = {"F": full, "M": MASKS[PersonalField(field)](full), "H": None}[letter]
        assert view[field] == expected, (field, cell)
        letters += letter
    return letters


def test_what_each_role_sees_of_each_field(people):  # type: ignore[no-untyped-def]
    """Every row of the table at once (one registry per backend), all mismatches reported together."""
    wrong = []
    for user, purpose, household, expected in EXPECTED:
        got = seen_by(people.api, people.actor(user), household, purpose, people.details[household])
        if got != expected:
            wrong.append(f"{user} reading {household} for {purpose}: expected {expected}, got {got}")
    assert not wrong, "\n".join(wrong)


def test_masks_keep_only_the_ends(people):  # type: ignore[no-untyped-def]
    view = people.api.view(people.actor("admin"), "HH-1")
    number, account = people.details["HH-1"]["resident_id"], people.details["HH-1"]["bank_account"]
    assert view["resident_id"] == f"{number[:4]}{'*' * 10}{number[-4:]}"
    assert view["bank_account"] == f"{account[:4]}{'*' * (len(account) - 8)}{account[-4:]}"
    assert view["phone"] == "139****0001" and view["name"] == "测***"
    assert_refused("not_permitted", lambda: people.api.view(people.actor("public"), "HH-1"))


def test_lists_show_each_role_only_its_people(people):  # type: ignore[no-untyped-def]
    """A household lists itself; a centre its own collection; a collective its parcels' households;
    the administrator everyone; others nobody."""
    listed = {u: [p["party_id"] for p in people.api.people(people.actor(u))]
              for u in ("hh", "centre", "cashier", "centre2", "coop", "admin")}
    assert listed == {"hh": ["HH-1"], "centre": ["HH-1", "HH-2"], "cashier": ["HH-1", "HH-2"], "centre2": ["HH-3"],
                      "coop": ["HH-1", "HH-2"], "admin": ["HH-1", "HH-2", "HH-3"]}
    for user in ("clerk", "verifier", "ent", "bank", "insurer", "court", "public"):
        assert_refused("not_permitted", lambda user=user: people.api.people(people.actor(user)))


def test_an_undesignated_payment_officer_sees_masked_accounts(people):  # type: ignore[no-untyped-def]
    """When the administrator withdraws the designation, the same user sees what other staff see."""
    api, admin = people.api, people.actor("admin")
    assert api.view(people.actor("cashier"), "HH-1", "revenue_payment")["visibility"]["bank_account"] == "full"
    api.revoke(admin, username="cashier")
    assert api.view(people.actor("cashier"), "HH-1", "revenue_payment")["visibility"]["bank_account"] == "masked"
    assert_refused("designation_user_invalid", lambda: api.designate(admin, username="coop"))
    assert_refused("not_permitted", lambda: api.designate(people.actor("centre"), username="centre"))


def test_an_unknown_purpose_is_refused(people):  # type: ignore[no-untyped-def]
    assert_refused("access_purpose_invalid", lambda: people.api.view(people.actor("cashier"), "HH-1", "curiosity"))


def test_the_matrix_in_the_docs_is_the_matrix_in_the_code():
    """docs/personal-data.md shows the table the code enforces (regenerate it with matrix_markdown())."""
    doc = (REPO_ROOT / "docs" / "personal-data.md").read_text(encoding="utf-8")
    assert matrix_markdown() in doc
    assert set(MATRIX) and all(set(row) == set(PersonalField) for row in MATRIX.values())
