"""What the bad-input suite sends to each ``sinkledger`` command.

One :class:`CliSpec` per command (leaf of the click tree): a valid baseline (parameter name →
value; lists for repeatable options) and the kind of each fuzzed parameter. Arguments are built
from the click command itself, so a spec names parameters as click does (``seller_account`` for
``--from``). ``test_cli_fuzz.py`` walks the click tree and fails when a command or a parameter
that takes a value has no spec here and is not in :data:`NO_INPUT` / a spec's ``unfuzzed``.

Command-line values are strings, so the bad values are strings too: numbers that are not
numbers (``1.5``, ``NaN``, full-width ``１``, 30 digits), dates that are not dates, unknown ids,
20,000-character text, undecodable bytes (``\\udcff``: what Python makes of a non-UTF-8
argument), control characters, SQL and HTML fragments, and files that are missing, folders,
empty, binary, not UTF-8, NaN-laden or nested 100,000 deep.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sinkledger.services import apikeys
from tests.fuzz.samples import published
from tests.fuzz.values import HTML, SQL, SQL_QUOTE, SURROGATE, Lazy

CONTROL = "AJ\x1b[2J"
# Longer than any text field (description: 2,000). Not 20,000 as for the service: rich spends seconds
# wrapping a long refusal (refusals clip echoed values to 200 characters since).
LONG = "長" * 2_100
# Commands that take no value at all, or must not be run here, and why.
NO_INPUT: dict[str, str] = {
    "init": "no input (idempotent set-up)",
    "balances": "read-only, no input",
    "methodologies list": "read-only, no input",
    "registries list": "read-only, no input",  # issue 20 (helper h4)
    "registries cross-check": "read-only, no input",  # issue 20 (helper h5)
    "app": "starts a Streamlit server; --port is an int checked by click and by Streamlit",
    "api": "starts the HTTP API server (tests/api drive it); --port and --workers are ranges checked by click",
}
# Of NO_INPUT: commands that start a server and so take options without being run here.
SERVERS = frozenset({"app", "api"})
# Commands of work in flight when this suite was written, to be given CliSpecs by their author:
# listed here so that the gap is explicit (and shows in the report), not silent.
PENDING: dict[str, str] = {f"people {name}": "person register (sinkledger/cli/people.py), not yet committed"
                           for name in ("add", "anchor", "correct", "designate", "erase", "export", "keygen",
                                        "list", "log", "lookup", "show", "verify")}


def _file(name: str, content: bytes) -> Lazy:
    def build(world: Any) -> str:
        path = world.workdir / "cli" / name
        path.parent.mkdir(exist_ok=True)
        if not path.exists():
            path.write_bytes(content)
        return str(path)

    return Lazy(build, f"file:{name}")


def _folder(world: Any) -> str:
    path = world.workdir / "cli" / "folder.json"
    path.mkdir(parents=True, exist_ok=True)
    return str(path)


DEEP_JSON = b"[" * 100_000 + b"]" * 100_000
BAD = {
    "int": [("word", "one"), ("decimal", "1.5"), ("nan", "NaN"), ("empty", ""), ("exponent", "1e3"),
            ("hex", "0x10"), ("huge", "9" * 30), ("neg_huge", "-" + "9" * 30),
            ("surrogate", SURROGATE), ("sql", SQL), ("fullwidth", "１０"), ("arabic_indic", "٣"),
            ("mixed_digits", "1０")],
    "text": [("empty", ""), ("blank", "   "), ("long", LONG), ("surrogate", SURROGATE), ("control", CONTROL)],
    "ref": [("empty", ""), ("unknown", "NOPE-404"), ("sql", SQL), ("sql_quote", SQL_QUOTE), ("html", HTML),
            ("long", LONG), ("surrogate", SURROGATE), ("control", CONTROL)],
    "date": [("empty", ""), ("month_13", "2024-13-01"), ("word", "yesterday"), ("sql", SQL), ("surrogate", SURROGATE),
             ("long", LONG), ("year_9999", "9999-12-31"), ("year_1", "0001-01-01"), ("fullwidth", "２０２４-01-01")],
    "choice": [("empty", ""), ("unknown", "nope"), ("sql", SQL), ("surrogate", SURROGATE)],
    "decimal": [("nan", "NaN"), ("inf", "Infinity"), ("huge", "1e400"), ("negative", "-1"), ("word", "abc"),
                ("empty", ""), ("surrogate", SURROGATE), ("fullwidth", "１.5")],
    "file": [("missing", "/nonexistent/fuzz.json"), ("folder", Lazy(_folder, "folder")), ("dev_null", "/dev/null"),
             ("empty", _file("empty.json", b"")), ("binary", _file("binary.json", b"\x89PNG\r\n\x1a\n\xff\xfe\x00")),
             ("surrogate_name", "/tmp/\udcff\udcfe.json")],
    "json_file": [("empty", _file("empty.json", b"")), ("binary", _file("binary.json", b"\x89PNG\r\n\x1a\n\xff\xfe")),
                  ("gbk", _file("gbk.json", '{"名称": "竹林"}'.encode("gbk"))),
                  ("nan", _file("nan.json", b'{"area_ha": NaN, "period_start": "2022-01-01"}')),
                  ("deep", _file("deep.json", DEEP_JSON)), ("list", _file("list.json", b"[1, 2]")),
                  ("string", _file("string.json", b'"inputs"')), ("missing", "/nonexistent/fuzz.json"),
                  ("folder", Lazy(_folder, "folder"))],
    "out_path": [("missing_dir", "/nonexistent/fuzz/out.file"), ("folder", Lazy(_folder, "folder")),
                 ("surrogate", "/tmp/\udcff\udcfe.out"), ("empty", "")],
    "db_url": [("garbage", "not a url"), ("unknown_driver", "nosuchdb://x/y"), ("refused", "postgresql+psycopg://postgres@127.0.0.1:1/x"),
               ("sqlite_under_a_file", "sqlite:////etc/hostname/x.db"), ("surrogate", "sqlite:////tmp/\udcff.db"),
               ("sql", SQL)],
}
BAD["yuan"] = [*BAD["decimal"], ("sub_fen", "0.001")]
BAD["pos_int"] = [*BAD["int"], ("zero", "0"), ("negative", "-1")]
BAD["nonneg_int"] = [*BAD["int"], ("negative", "-1")]
BAD["opt_ref"] = [v for v in BAD["ref"] if v[0] != "empty"]
BAD["opt_text"] = [v for v in BAD["text"] if v[0] not in ("empty", "blank")]
BAD["opt_date"] = [v for v in BAD["date"] if v[0] != "empty"]
BAD["bp"] = [*BAD["int"], ("negative", "-1"), ("over_10000", "10001")]
BAD["due_pair"] = [("no_equals", Lazy(lambda w: w.ids["due_id"], "due")), ("empty_amount", "DS-1="),
                   ("decimal", Lazy(lambda w: f"{w.ids['due_id']}=1.5", "due=1.5")),
                   ("negative", Lazy(lambda w: f"{w.ids['due_id']}=-1", "due=-1")),
                   ("zero", Lazy(lambda w: f"{w.ids['due_id']}=0", "due=0")),
                   ("fullwidth", Lazy(lambda w: f"{w.ids['due_id']}=１", "due=fullwidth")),
                   ("huge", Lazy(lambda w: f"{w.ids['due_id']}={'9' * 30}", "due=huge")),
                   ("over_outstanding", Lazy(lambda w: f"{w.ids['due_id']}=999999999", "due=over")),
                   ("unknown", "DS-99999999-001=1"), ("empty_id", "=1"), ("sql", f"{SQL}=1"),
                   ("surrogate", f"{SURROGATE}=1")]
BAD["loss_pair"] = [("no_equals", "AJ-BF-0001"), ("empty_area", "AJ-BF-0001="), ("word_area", "AJ-BF-0001=one"),
                    ("nan_area", "AJ-BF-0001=NaN"), ("inf_area", "AJ-BF-0001=Infinity"),
                    ("zero_area", "AJ-BF-0001=0"), ("negative_area", "AJ-BF-0001=-1"), ("huge_area", "AJ-BF-0001=1e9"),
                    ("share_word", "AJ-BF-0001=0.1:x"), ("share_over", "AJ-BF-0001=0.1:10001"),
                    ("share_zero", "AJ-BF-0001=0.1:0"), ("share_huge", "AJ-BF-0001=0.1:" + "9" * 30),
                    ("share_fullwidth", "AJ-BF-0001=0.1:１０００"),
                    ("unknown", "NOPE-404=0.1"), ("not_issued", "AJ-TG-0005=0.1"), ("empty_code", "=0.1"),
                    ("sql", f"{SQL}=0.1"), ("surrogate", f"{SURROGATE}=0.1")]
BAD["pct"] = [("negative", "-1"), ("over", "101"), ("nan", "NaN"), ("word", "x"), ("empty", "")]
BAD["map_pair"] = [("no_equals", "parcel_code"), ("empty_key", "=parcel_code"), ("surrogate", f"{SURROGATE}=x"),
                   ("unknown_field", "parcel_code=bogus_field"), ("unknown_column", "no_such_column=holder")]
BAD["default_pair"] = [("no_equals", "holder"), ("empty_key", "=COL-0001"), ("surrogate", f"{SURROGATE}=x"),
                       ("unknown_field", "bogus_field=1")]
BAD["prefix"] = [("sql", SQL), ("html", HTML), ("surrogate", SURROGATE), ("long", "P" * 100), ("control", CONTROL),
                 ("space", "A B ")]
BAD["raster"] = [("garbage", "garbage"), ("missing", "2022-01-01=/nonexistent.tif"), ("bad_date", "2022-13-01=/x.tif"),
                 ("quantity", "2022-01-01=/x.tif@bogus"), ("surrogate", SURROGATE)]
BAD["period"] = [("garbage", "2022"), ("bad_dates", "x..y"), ("reversed", "2024-01-01..2022-01-01"),
                 ("surrogate", SURROGATE)]
BAD["serial"] = [("garbage", "garbage"), ("unknown", "CN330523-BF-NOPE01-2024-000000001..000000001"),
                 ("reversed", "CN330523-BF-AJBF01-2024-000000009..000000001"), ("huge", "CN330523-BF-AJBF01-2024-"
                                                                                   + "9" * 30 + ".." + "9" * 30),
                 ("surrogate", SURROGATE), ("sql", SQL)]
BAD["request_id"] = [("blank", "  "), ("too_long", "r" * 121), ("surrogate", SURROGATE),
                     ("control", CONTROL), ("newline", "r\n1")]
BAD["actor"] = [("unknown", "nobody"), ("empty", ""), ("sql", SQL), ("surrogate", SURROGATE), ("wrong_role", "enterprise")]


@dataclass(frozen=True)
class CliSpec:
    """A command, a valid baseline and the kind of each fuzzed parameter (by click name)."""

    path: str
    baseline: Callable[[Any], dict[str, Any]]
    params: Mapping[str, str]
    read_only: bool = False
    filters: frozenset[str] = frozenset()  # a value that matches nothing may answer "nothing"
    unfuzzed: Mapping[str, str] = field(default_factory=dict)
    check_failed_exit: bool = False  # a failed check (exit 1 with "ok": false) is a clean answer
    skip: frozenset[tuple[str, str]] = frozenset()
    variant: str = ""  # a second baseline for options only used together with others

    @property
    def id(self) -> str:
        return f"{self.path or 'sinkledger'}{' ' + self.variant if self.variant else ''}"


def rid() -> str:
    return f"fuzz-cli-{uuid.uuid4().hex}"


def _proof_file(world: Any) -> str:
    path = world.workdir / "cli" / "proof.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(world.service.proof(1)), encoding="utf-8")
    return str(path)


def _api_key(world: Any) -> str:
    """The id of a new API key (revoking it is the baseline)."""
    admin = world.service.actor("admin")
    return apikeys.create_key(world.service, admin, party_id="BANK-0001", role="bank")["key_id"]


def _pub(name: str, tree_size: int | None = None) -> Lazy:
    """A file of :func:`tests.fuzz.samples.published` (a signed checkpoint, its key, proofs)."""
    return Lazy(lambda world: published(world, tree_size)[name], f"published:{name}:{tree_size}")


def _inputs_file(world: Any) -> str:
    path = world.workdir / "cli" / "tea.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(world.ids["tea_inputs"], ensure_ascii=False), encoding="utf-8")
    return str(path)


def _bamboo_inputs(world: Any) -> str:
    from sinkledger.config import REPO_ROOT

    return str(REPO_ROOT / "methodologies" / "examples" / "bamboo_moso_management.json")


def _parcel_file(world: Any) -> str:
    from tests.fuzz.service_specs import _import_file

    return _import_file(world)


def _sales_file(world: Any) -> str:
    """A sheet of one sale the world can record (``sinkledger sales import``)."""
    from tests.fuzz.service_specs import _sales_sheet

    path = world.workdir / "cli" / "day.xlsx"
    path.parent.mkdir(exist_ok=True)
    if not path.exists():
        path.write_bytes(_sales_sheet(world))
    return str(path)


def _plot_file(world: Any) -> str:
    """A sample-plot inventory (``sinkledger methodologies plots import``)."""
    from tests.fuzz.service_specs import _plot_sheet

    path = world.workdir / "cli" / "plots.csv"
    path.parent.mkdir(exist_ok=True)
    if not path.exists():
        path.write_bytes(_plot_sheet(world))
    return str(path)


def _verra(world: Any) -> str:
    from tests.fuzz.service_specs import _verra_file

    return _verra_file(world)


def _document(world: Any) -> str:
    from tests.fuzz.service_specs import _document as document

    return document(world)


def _backup(world: Any) -> str:
    """A backup file of the world (restoring it into the non-empty world is refused)."""
    from sinkledger.services.backup import export_backup

    path = world.workdir / "cli" / "backup.zip"
    path.parent.mkdir(exist_ok=True)
    if not path.exists():
        export_backup(world.service, path)
    return str(path)


def _project_inputs(world: Any) -> str:
    """The bamboo methodology's example inputs, as the world's bundle estimates use them."""
    path = world.workdir / "cli" / "project-inputs.json"
    path.parent.mkdir(exist_ok=True)
    if not path.exists():
        path.write_text(json.dumps(world.ids["project_inputs"], ensure_ascii=False), encoding="utf-8")
    return str(path)


def out(name: str) -> Lazy:
    return Lazy(lambda world: str(world.workdir / "cli" / f"{uuid.uuid4().hex}-{name}"), f"out:{name}")


COMMAND = {"actor": "actor", "request_id": "request_id"}
SPECS: list[CliSpec] = [
    CliSpec("", lambda w: {}, {"database_url": "db_url"}),  # the group's own option, run with `balances`
    CliSpec("history", lambda w: {"limit": "5", "kind": "sale"}, {"limit": "int", "kind": "ref"}, read_only=True,
            filters=frozenset({"kind"})),
    CliSpec("issue", lambda w: {"estimate_id": w.ids["estimate_id"], "verified_kg_co2e": "1000",
                                "project_code": "FZTG01", "actor": "verifier", "request_id": rid()},
            {"estimate_id": "ref", "verified_kg_co2e": "pos_int", "project_code": "ref", "buffer_share_bp": "int",
             "to_account": "opt_ref", "acknowledged": "opt_ref", **COMMAND}),
    CliSpec("sell", lambda w: {"seller_account": w.ids["seller_account"], "buyer_account": "ENT-0001-H", "quantity": "1",
                               "price_fen_per_t": "7341", "contract_no": "FZ-CLI-1", "actor": "clerk", "request_id": rid()},
            {"seller_account": "ref", "buyer_account": "ref", "quantity": "pos_int", "price_fen_per_t": "nonneg_int",
             "contract_no": "text", "serials": "serial", "sale_date": "opt_date", "contract_date": "opt_date", **COMMAND}),
    CliSpec("retire", lambda w: {"account_id": w.ids["seller_account"], "quantity": "1", "beneficiary": "示例（模糊测试）",
                                 "purpose": "模糊测试", "actor": "clerk", "request_id": rid()},
            {"account_id": "ref", "quantity": "pos_int", "beneficiary": "text", "purpose": "text", "serials": "serial",
             **COMMAND}),
    CliSpec("pledge", lambda w: {"account_id": w.ids["seller_account"], "quantity": "1", "loan_reference": "FZ-L",
                                 "loan_amount_fen": "100000", "term_end": "2030-12-31", "actor": "bank",
                                 "request_id": rid()},
            {"account_id": "ref", "quantity": "pos_int", "loan_reference": "text", "loan_amount_fen": "pos_int",
             "term_end": "date", "serials": "serial", **COMMAND}),
    CliSpec("release", lambda w: {"pledge_id": w.ids["pledge_id"], "actor": "bank", "request_id": rid()},
            {"pledge_id": "ref", **COMMAND}),
    CliSpec("reverse", lambda w: {"quantity": "1", "reason": "雪灾", "loss_event_ref": "FZ-LOSS", "actor": "insurer",
                                  "request_id": rid()},
            {"quantity": "pos_int", "reason": "text", "loss_event_ref": "text", **COMMAND}),
    CliSpec("correct", lambda w: {"entry_seq": str(w.service.journal(kind="sale", limit=1)[-1]["seq"]),
                                  "reason": "录入错误", "actor": "admin", "request_id": rid()},
            {"entry_seq": "pos_int", "reason": "text", **COMMAND}),
    CliSpec("collect", lambda w: {"contract_no": "FZ-SC-CLI", "collective_party_id": w.ids["tea_holder"],
                                  "parcel_codes": ["AJ-TG-0007"], "term_start": "2026-01-01", "term_end": "2036-01-01",
                                  "signed_date": "2025-12-01", "proceeds_share_bp": "8000", "actor": "centre",
                                  "request_id": rid()},
            {"contract_no": "text", "collective_party_id": "ref", "parcel_codes": "ref", "term_start": "date",
             "term_end": "date", "signed_date": "date", "fixed_fen_per_mu_year": "int", "proceeds_share_bp": "int",
             "costs_note": "opt_text", "cost_share_bp": "bp", "cost_fen_per_t": "nonneg_int", **COMMAND}),
    CliSpec("proof", lambda w: {"entry_seq": "1"}, {"entry_seq": "pos_int", "tree_size": "int"}, read_only=True),
    CliSpec("proof-check", lambda w: {"proof_file": Lazy(_proof_file)}, {"proof_file": "json_file"}, read_only=True,
            check_failed_exit=True),
    # -- published roots (docs/ledger.md): the world has no signing key; files are made by samples.published
    CliSpec("verify", lambda w: {"against": _pub("checkpoint"), "public_key": _pub("public_key"), "jobs": "2"},
            {"against": "json_file", "public_key": "opt_text", "jobs": "pos_int"}, read_only=True,
            check_failed_exit=True),
    CliSpec("users locked", lambda w: {"actor": "admin"}, {"actor": "actor"}, read_only=True),
    # the map's tiles made ahead (issue 17): files beside an SQLite database, nothing in the ledger
    CliSpec("tiles build", lambda w: {"max_zoom": "2", "langs": "zh"}, {"max_zoom": "nonneg_int", "langs": "choice"},
            read_only=True),
    CliSpec("users unlock", lambda w: {"name": "clerk", "actor": "admin"}, {"name": "ref", "actor": "actor"},
            filters=frozenset({"name"})),
    # -- API keys (issue 18): a key to revoke is made for each run; create writes no journal entry
    CliSpec("apikeys create", lambda w: {"party_id": "BANK-0001", "role": "bank", "label": "fuzz", "actor": "admin"},
            {"party_id": "opt_ref", "role": "choice", "username": "opt_ref", "label": "opt_text", "actor": "actor"}),
    CliSpec("apikeys list", lambda w: {"actor": "admin"}, {"actor": "actor"}, read_only=True),
    CliSpec("apikeys revoke", lambda w: {"key_id": Lazy(_api_key, "key"), "actor": "admin"},
            {"key_id": "ref", "actor": "actor"}),
    CliSpec("apikeys uses", lambda w: {"limit": "5", "actor": "admin"},
            {"limit": "pos_int", "key_id": "opt_ref", "actor": "actor"}, read_only=True, filters=frozenset({"key_id"})),
    CliSpec("users failures", lambda w: {"limit": "5", "actor": "admin"}, {"limit": "pos_int", "actor": "actor"},
            read_only=True),
    CliSpec("checkpoint keygen", lambda w: {"out": out("checkpoint.key")}, {"out": "out_path"},
            skip=frozenset({("out", "surrogate")})),  # a legal POSIX name
    CliSpec("checkpoint check", lambda w: {"checkpoint_file": _pub("checkpoint"), "public_key": _pub("public_key")},
            {"checkpoint_file": "json_file", "public_key": "text"}, read_only=True, check_failed_exit=True),
    CliSpec("consistency-proof", lambda w: {"old_size": "1", "new_size": "2"},
            {"old_size": "pos_int", "new_size": "pos_int"}, read_only=True),
    CliSpec("consistency-check", lambda w: {"old_file": _pub("checkpoint", 2), "new_file": _pub("checkpoint"),
                                            "proof_file": _pub("consistency", 2), "public_key": _pub("public_key")},
            {"old_file": "json_file", "new_file": "json_file", "proof_file": "json_file", "public_key": "opt_text"},
            read_only=True, check_failed_exit=True),
    CliSpec("proof-check", lambda w: {"proof_file": _pub("proof", 2), "root_file": _pub("checkpoint"),
                                      "consistency_file": _pub("consistency", 2), "public_key": _pub("public_key")},
            {"root_file": "json_file", "consistency_file": "json_file", "public_key": "opt_text"}, read_only=True,
            check_failed_exit=True, variant="--root"),
    CliSpec("import-registry", lambda w: {"files": [Lazy(_verra)], "registry": "verra", "actor": "admin",
                                          "request_id": rid()},
            {"files": "file", "registry": "choice", "excel": "out_path", **COMMAND},
            skip=frozenset({("excel", "surrogate")})),  # a legal POSIX name
    # issue 20 (helper h4): imported registries' projects and import reports
    CliSpec("registries report", lambda w: {"seq": str(w.ids["import_seq"]), "excel": out("report.xlsx")},
            {"seq": "pos_int", "excel": "out_path"}, read_only=True, skip=frozenset({("excel", "surrogate")})),
    CliSpec("registries projects", lambda w: {"registry": "verra"},
            {"registry": "opt_text", "sink_category": "choice", "country": "opt_text", "project_type": "opt_text"},
            read_only=True, filters=frozenset({"registry", "country", "project_type"})),
    CliSpec("export", lambda w: {"backup_file": out("backup.zip")}, {"backup_file": "out_path"}, read_only=True,
            skip=frozenset({("backup_file", "surrogate")})),  # a legal POSIX name
    CliSpec("import-backup", lambda w: {"backup_file": Lazy(_backup)}, {"backup_file": "file"}),
    # -- court ---------------------------------------------------------------------------------
    CliSpec("court case", lambda w: {"case_no": f"（2025）浙0521刑初{uuid.uuid4().int % 10**6}号",
                                     "judgment_date": "2025-03-01", "defendants": ["ENT-0002"],
                                     "sink_type": "bamboo_forest", "county_code": "330521", "ecosystem_name": "示例山林",
                                     "damaged_area_ha": "1.5", "description": "滥伐林木", "actor": "court",
                                     "request_id": rid()},
            {"case_no": "text", "judgment_date": "date", "defendants": "ref", "sink_type": "choice",
             "county_code": "ref", "ecosystem_name": "text", "damaged_area_ha": "decimal", "description": "text",
             "parcel_code": "opt_ref", "geometry_file": "json_file", **COMMAND},
            ),
    CliSpec("court document", lambda w: {"case_no": w.ids["case_no"], "file": Lazy(_document), "title": "判决书",
                                         "actor": "court", "request_id": rid()},
            {"case_no": "ref", "file": "file", "title": "text", **COMMAND},
            skip=frozenset({("file", "empty"), ("file", "binary"), ("file", "dev_null")})),  # any bytes are a document
    CliSpec("court propose", lambda w: {"case_no": w.ids["case_no"], "years": "5", "actor": "court"},
            {"case_no": "ref", "years": "pos_int", "estimate_id": "opt_ref", "actor": "actor"}, read_only=True,
            unfuzzed={"methodology": "in the 'with a methodology' variant", "inputs_file": "as methodology"}),
    CliSpec("court propose", lambda w: {"case_no": w.ids["case_no"], "years": "5", "actor": "court",
                                        "methodology": "sinkledger.bamboo-moso-management",
                                        "inputs_file": Lazy(_bamboo_inputs)},
            {"methodology": "opt_ref", "inputs_file": "json_file"}, read_only=True, variant="with a methodology"),
    CliSpec("court order", lambda w: {"case_no": w.ids["case_no"], "item": "判决第三项", "kind": "quantity",
                                      "quantity_t": "2", "due_date": "2026-12-31", "actor": "court",
                                      "request_id": rid()},
            {"case_no": "ref", "item": "text", "kind": "choice", "quantity_t": "pos_int", "due_date": "date",
             **COMMAND},
            unfuzzed={"amount_fen": "money orders; in a quantity order an amount is refused (tests/court)",
                      "amount_yuan": "as amount_fen", "override_reason": "as amount_fen",
                      "years": "in the 'with the calculator' variant", "estimate_id": "as years",
                      "methodology": "as years", "inputs_file": "as years"}),
    CliSpec("court order", lambda w: {"case_no": w.ids["case_no"], "item": "判决第四项", "kind": "quantity",
                                      "due_date": "2026-12-31", "years": "5",
                                      "methodology": "sinkledger.bamboo-moso-management",
                                      "inputs_file": Lazy(_bamboo_inputs), "actor": "court", "request_id": rid()},
            {"years": "pos_int", "methodology": "opt_ref", "inputs_file": "json_file"}, variant="with the calculator"),
    CliSpec("court order", lambda w: {"case_no": w.ids["case_no"], "item": "判决第五项", "kind": "quantity",
                                      "due_date": "2026-12-31", "years": "5", "estimate_id": w.ids["estimate_id"],
                                      "actor": "court", "request_id": rid()},
            {"estimate_id": "opt_ref"}, variant="with an estimate's rate"),
    CliSpec("court amend", lambda w: {"order_id": w.ids["order_id"], "reason": "更正", "due_date": "2027-06-30",
                                      "actor": "court", "request_id": rid()},
            {"order_id": "ref", "reason": "text", "quantity_t": "pos_int", "amount_fen": "pos_int",
             "amount_yuan": "yuan", "due_date": "date", **COMMAND}),
    CliSpec("court withdraw", lambda w: {"order_id": w.ids["order_id"], "reason": "撤回", "actor": "court",
                                         "request_id": rid()},
            {"order_id": "ref", "reason": "text", **COMMAND}),
    CliSpec("court fulfil", lambda w: {"order_id": w.ids["order_id"], "seller_account": w.ids["seller_account"],
                                       "price_fen": "7341", "contract_no": "FZ-CLI-F", "quantity_t": "1",
                                       "actor": "clerk", "request_id": rid()},
            {"order_id": "ref", "seller_account": "ref", "price_fen": "nonneg_int", "price_yuan": "yuan",
             "contract_no": "text", "quantity_t": "pos_int", "buyer_account": "opt_ref", "purchase_date": "opt_date",
             "serials": "serial", **COMMAND}),
    CliSpec("court status", lambda w: {"case_no": w.ids["case_no"], "actor": "court"},
            {"case_no": "opt_ref", "order_id": "opt_ref", "as_of": "opt_date", "actor": "actor"}, read_only=True),
    CliSpec("court report", lambda w: {"actor": "court"},
            {"court_party_id": "opt_ref", "year": "int", "as_of": "opt_date", "xlsx_path": "out_path",
             "actor": "actor"}, read_only=True, filters=frozenset({"court_party_id", "year"}),
            skip=frozenset({("xlsx_path", "surrogate")})),
    CliSpec("certificate issue", lambda w: {"order_id": w.ids["order_id"], "actor": "court"},
            {"order_id": "ref", "pdf_path": "out_path", "verify_url": "opt_text", "lang": "choice", "actor": "actor"}),
    CliSpec("certificate pdf", lambda w: {"code": "NOPE-CODE", "out_path": out("cert.pdf")},
            {"code": "ref", "out_path": "out_path", "verify_url": "opt_text", "lang": "choice"}, read_only=True,
            skip=frozenset({("out_path", "surrogate")})),
    CliSpec("certificate verify", lambda w: {"code": "NOPE-CODE"}, {"code": "ref", "pdf_file": "file"},
            read_only=True),
    # -- the public registry (docs/public-registry.md) ----------------------------------------------
    CliSpec("public serial", lambda w: {"serial": "CN330523-BF-NOPE-2024-000000001"}, {"serial": "ref"},
            read_only=True),
    CliSpec("public retirements", lambda w: {}, {"beneficiary": "opt_text", "purpose": "opt_text", "year": "int",
                                                 "limit": "int", "offset": "int"}, read_only=True,
            filters=frozenset({"beneficiary", "purpose"})),
    CliSpec("public entry", lambda w: {"ref": "NOPE"}, {"ref": "ref", "out_path": "out_path"}, read_only=True),
    CliSpec("public retirement-certificate", lambda w: {"retirement_id": "RT-99999999", "out_path": out("rc.pdf")},
            {"retirement_id": "ref", "out_path": "out_path", "lang": "choice", "verify_url": "opt_text"},
            read_only=True, skip=frozenset({("out_path", "surrogate")})),
    CliSpec("public offsetsdb", lambda w: {"table": "projects", "out_path": out("projects.csv")},
            {"table": "choice", "out_path": "out_path", "fmt": "choice"}, read_only=True,
            skip=frozenset({("out_path", "surrogate")})),
    # -- income (docs/income.md; the records are seed_income's in tests/fuzz/conftest.py) ----------
    CliSpec("income contracts", lambda w: {"actor": "centre"}, {"collective_party_id": "opt_ref", "actor": "actor"},
            read_only=True, filters=frozenset({"collective_party_id"})),
    CliSpec("income contract-document", lambda w: {"contract_no": "FZ-SC-SHARE", "file": Lazy(_document),
                                                   "title": "收储合同附件", "actor": "centre", "request_id": rid()},
            {"contract_no": "ref", "file": "file", "title": "text", **COMMAND},
            skip=frozenset({("file", "empty"), ("file", "binary"), ("file", "dev_null")})),  # any bytes are a document
    CliSpec("income project register", lambda w: {
        "project_code": "FZBUNDLE3", "name": "示例打捆项目（模糊测试）", "sink_type": "bamboo_forest",
        "methodology_id": "sinkledger.bamboo-moso-management", "monitoring_start": "2024-11-15",
        "interval_months": "24", "parcel_codes": ["AJ-BF-0002"], "actor": "centre", "request_id": rid()},
        {"project_code": "ref", "name": "text", "sink_type": "choice", "methodology_id": "ref",
         "monitoring_start": "date", "interval_months": "pos_int", "parcel_codes": "ref", **COMMAND}),
    CliSpec("income project add", lambda w: {"project_code": "FZBUNDLE1", "parcel_codes": ["AJ-BF-0002"],
                                             "actor": "centre", "request_id": rid()},
            {"project_code": "ref", "parcel_codes": "ref", **COMMAND}),
    CliSpec("income project show", lambda w: {"project_code": "FZBUNDLE1", "actor": "centre"},
            {"project_code": "ref", "actor": "actor"}, read_only=True),
    CliSpec("income project estimate", lambda w: {"project_code": "FZBUNDLE1", "inputs_file": Lazy(_project_inputs),
                                                  "period_index": "2", "actor": "centre", "request_id": rid()},
            {"project_code": "ref", "inputs_file": "json_file", "period_index": "nonneg_int", **COMMAND}),
    CliSpec("income project issue", lambda w: {"project_code": "FZBUNDLE1", "estimate_id": w.ids["project_estimate_id"],
                                               "verified_kg_co2e": "1000", "buffer_share_bp": "1000",
                                               "actor": "verifier", "request_id": rid()},
            {"project_code": "ref", "estimate_id": "ref", "verified_kg_co2e": "pos_int", "buffer_share_bp": "bp",
             **COMMAND}),
    CliSpec("income trace", lambda w: {"serial_or_batch": w.ids["project_serials"], "actor": "centre"},
            {"serial_or_batch": "serial", "actor": "actor"}, read_only=True),
    CliSpec("income trace", lambda w: {"serial_or_batch": w.ids["project_batch_id"], "actor": "centre"},
            {"serial_or_batch": "ref"}, read_only=True, variant="a batch"),
    CliSpec("income distribute", lambda w: {"sale_seq": str(w.ids["open_sale_seq"]), "actor": "centre",
                                            "request_id": rid()},
            {"sale_seq": "pos_int", **COMMAND}),
    CliSpec("income distribution", lambda w: {"distribution_id": w.ids["distribution_id"], "actor": "centre"},
            {"distribution_id": "ref", "actor": "actor"}, read_only=True),
    CliSpec("income schedule", lambda w: {"contract_no": "FZ-SC-FIXED", "through": "2030-01-01", "actor": "centre",
                                          "request_id": rid()},
            {"contract_no": "ref", "through": "opt_date", **COMMAND}),
    CliSpec("income dues", lambda w: {"actor": "centre"},
            {"party_id": "opt_ref", "contract_no": "opt_ref", "source_id": "opt_ref", "actor": "actor"},
            read_only=True, filters=frozenset({"party_id", "contract_no", "source_id"})),
    CliSpec("income pay", lambda w: {"dues": [f"{w.ids['due_id']}=1"], "paid_date": w.ids["sale_date"],
                                     "reference": "FZ-PAY-CLI", "actor": "centre", "request_id": rid()},
            {"dues": "due_pair", "paid_date": "date", "reference": "text", **COMMAND},
            unfuzzed={"source_id": "in the 'all of a source' variant", "party_id": "as source_id"}),
    CliSpec("income pay", lambda w: {"source_id": w.ids["distribution_id"], "paid_date": w.ids["sale_date"],
                                     "reference": "FZ-PAY-CLI", "actor": "centre", "request_id": rid()},
            {"source_id": "ref", "party_id": "opt_ref"}, variant="all of a source"),
    CliSpec("income lien register", lambda w: {"contract_no": "FZ-SC-SHARE", "loan_reference": "FZ-LIEN-CLI",
                                               "loan_amount_fen": "100000", "term_end": "2030-12-31",
                                               "parcel_codes": ["AJ-BF-0001"], "actor": "bank", "request_id": rid()},
            {"contract_no": "ref", "loan_reference": "text", "loan_amount_fen": "pos_int", "term_end": "date",
             "parcel_codes": "ref", **COMMAND},
            unfuzzed={"loan_amount_yuan": "in the 'in yuan' variant"}),
    CliSpec("income lien register", lambda w: {"contract_no": "FZ-SC-SHARE", "loan_reference": "FZ-LIEN-CLI",
                                               "loan_amount_yuan": "1000.00", "term_end": "2030-12-31",
                                               "parcel_codes": ["AJ-BF-0001"], "actor": "bank", "request_id": rid()},
            {"loan_amount_yuan": "yuan"}, variant="in yuan"),
    CliSpec("income lien release", lambda w: {"lien_id": w.ids["lien_id"], "actor": "bank", "request_id": rid()},
            {"lien_id": "ref", **COMMAND}),
    CliSpec("income lien list", lambda w: {"actor": "bank"}, {"actor": "actor"}, read_only=True),
    CliSpec("income loss record", lambda w: {"cause": "fire", "event_date": "2025-02-01",
                                             "parcels": ["AJ-BF-0001=0.1:1000"], "description": "山火（模糊测试）",
                                             "actor": "insurer", "request_id": rid()},
            {"cause": "choice", "event_date": "date", "parcels": "loss_pair", "description": "text",
             "policy_no": "opt_text", **COMMAND}),
    CliSpec("income loss list", lambda w: {"actor": "insurer"}, {"actor": "actor"}, read_only=True),
    CliSpec("income claim", lambda w: {"claim_no": "FZ-CLAIM-CLI", "event_id": w.ids["event_id"],
                                       "policy_no": "FZ-POL-1", "insured_party_id": "CENTRE-AJ", "payout_fen": "5000",
                                       "actor": "insurer", "request_id": rid()},
            {"claim_no": "text", "event_id": "ref", "policy_no": "text", "product": "text", "insured_party_id": "ref",
             "payout_fen": "nonneg_int", "paid_date": "opt_date", "reference": "opt_text", **COMMAND},
            unfuzzed={"payout_yuan": "in the 'in yuan' variant"}),
    CliSpec("income claim", lambda w: {"claim_no": "FZ-CLAIM-CLI", "event_id": w.ids["event_id"],
                                       "policy_no": "FZ-POL-1", "insured_party_id": "CENTRE-AJ", "payout_yuan": "50.00",
                                       "actor": "insurer", "request_id": rid()},
            {"payout_yuan": "yuan"}, variant="in yuan"),
    CliSpec("income statement", lambda w: {"party_id": w.ids["household_party"], "period_start": "2025-01-01",
                                           "period_end": "2026-12-31", "actor": "household"},
            {"party_id": "ref", "period_start": "date", "period_end": "date", "pdf_path": "out_path",
             "xlsx_path": "out_path", "lang": "choice", "actor": "actor"}, read_only=True),
    # The county-scale dataset on the shared world: a non-empty database, so even a good size is
    # refused (county_demo_database_not_empty) and nothing changes; --reset (a flag) is never given.
    CliSpec("demo", lambda w: {"scale": "county", "parcels": 300, "entries": 3000},
            {"scale": "choice", "parcels": "int", "entries": "int", "seed": "int"}, read_only=True),
    # -- methodologies and estimates ---------------------------------------------------------------
    CliSpec("methodologies show", lambda w: {"methodology_id": "sinkledger.tea-garden"},
            {"methodology_id": "ref", "version": "opt_ref"}, read_only=True),
    CliSpec("methodologies report", lambda w: {"estimate_id": w.ids["estimate_id"], "fmt": "md", "lang": "en",
                                               "out": out("report.md")},
            {"estimate_id": "ref", "estimate_file": "json_file", "fmt": "choice", "lang": "choice",
             "out": "out_path"}, read_only=True,
            skip=frozenset({("out", "surrogate")})),  # a file name of raw bytes is a legal POSIX name
    CliSpec("methodologies plots import", lambda w: {"plot_file": Lazy(_plot_file)},
            {"plot_file": "file", "inputs_file": "json_file", "out": "out_path"}, read_only=True,
            skip=frozenset({("out", "surrogate")})),  # a file name of raw bytes is a legal POSIX name
    CliSpec("methodologies plots template", lambda w: {"out": out("plots.xlsx")},
            {"kind": "choice", "lang": "choice", "out": "out_path"}, read_only=True,
            skip=frozenset({("out", "surrogate")})),
    CliSpec("estimate", lambda w: {"methodology_id": "sinkledger.tea-garden", "inputs_file": Lazy(_inputs_file)},
            {"methodology_id": "ref", "inputs_file": "json_file", "plot_file": "file", "parcel_codes": "ref", "project_code": "ref",
             "period": "period", "monitoring": "json_file", "rasters": "raster", "parcels_file": "file",
             "min_valid_pct": "pct", "zonal_rule": "choice", "gwp_profile": "choice", "actor": "actor", "request_id": "request_id",
             "out": "out_path", "commit_every": "int"}, read_only=True,
            filters=frozenset({"actor", "request_id", "out", "commit_every"}),  # a dry estimate records nothing
            skip=frozenset({("project_code", "empty")})),  # --project "" is "no project": a dry estimate
    # -- parcels -----------------------------------------------------------------------------------
    CliSpec("parcels list", lambda w: {"status": "active"}, {"status": "ref"}, read_only=True,
            filters=frozenset({"status"})),
    CliSpec("parcels show", lambda w: {"parcel_code": "AJ-BF-0001"}, {"parcel_code": "ref"}, read_only=True),
    CliSpec("parcels import", lambda w: {"file": Lazy(_parcel_file), "actor": "coop", "request_id": rid()},
            {"file": "file", "mapping": "map_pair", "defaults": "default_pair", "keep_columns": "ref",
             "parcel_code_prefix": "prefix", "layer": "ref", "encoding": "ref", "crs": "ref", **COMMAND}),
    CliSpec("sales import", lambda w: {"file": Lazy(_sales_file), "actor": "clerk", "request_id": rid()},
            {"file": "file", **COMMAND}),
    CliSpec("sales template", lambda w: {"path": out("sales.xlsx")}, {"path": "out_path", "lang": "choice"},
            read_only=True),
    CliSpec("parcels export", lambda w: {"path": out("parcels.gpkg")},
            {"path": "out_path", "file_format": "choice", "status": "ref"}, read_only=True,
            filters=frozenset({"status"})),
    # -- issue 22 (helper h8): compensation programmes and quota obligations (docs/instruments.md) ---
    CliSpec("compensation programme", lambda w: {
        "code": "FZ-CLI-PROG", "name": "模糊测试项目", "reference": "FZ-REF", "basis": "per_t", "rate_fen": "100",
        "budget_fen": "100000", "sink_types": ["bamboo_forest"], "county_codes": ["330523"], "vintage_from": "2020",
        "vintage_to": "2026", "period_start": "2026-01-01", "period_end": "2026-12-31", "actor": "authority",
        "request_id": rid()},
            {"code": "text", "name": "text", "reference": "text", "basis": "choice", "rate_fen": "pos_int",
             "rate_yuan": "yuan", "budget_fen": "pos_int", "budget_yuan": "yuan", "sink_types": "choice",
             "county_codes": "ref", "vintage_from": "pos_int", "vintage_to": "pos_int", "period_start": "date",
             "period_end": "date", **COMMAND}),
    CliSpec("compensation payable", lambda w: {"programme_code": "FZ-PROG", "actor": "authority"},
            {"programme_code": "ref", "actor": "actor"}, read_only=True),
    CliSpec("compensation pay", lambda w: {"programme_code": "FZ-PROG", "estimate_id": w.ids["payable_estimate"],
                                           "paid_date": "2026-06-30", "reference": "FZ-PAY", "actor": "authority",
                                           "request_id": rid()},
            {"programme_code": "ref", "estimate_id": "ref", "vintages": "pos_int", "paid_date": "date",
             "reference": "text", **COMMAND}),
    CliSpec("compensation list", lambda w: {"actor": "authority"}, {"actor": "actor"}, read_only=True),
    CliSpec("compensation payments", lambda w: {"actor": "authority"}, {"programme_code": "opt_ref", "actor": "actor"},
            read_only=True, filters=frozenset({"programme_code"})),
    CliSpec("obligations set", lambda w: {
        "enterprise_party_id": "ENT-0001", "quantity_t": "5", "deadline": "2030-12-31", "start_date": "2026-01-01",
        "sink_types": ["bamboo_forest"], "vintage_from": "2020", "vintage_to": "2026", "reference": "FZ-REF",
        "actor": "authority", "request_id": rid()},
            {"enterprise_party_id": "ref", "quantity_t": "pos_int", "deadline": "date", "start_date": "opt_date",
             "sink_types": "choice", "vintage_from": "pos_int", "vintage_to": "pos_int", "county_codes": "ref",
             "reference": "text", **COMMAND}),
    CliSpec("obligations surrender", lambda w: {"obligation_id": w.ids["obligation_id"], "quantity_t": "1",
                                                "seller_account": w.ids["seller_account"], "price_fen": "7341",
                                                "contract_no": "FZ-SURRENDER", "actor": "clerk", "request_id": rid()},
            {"obligation_id": "ref", "quantity_t": "pos_int", "seller_account": "opt_ref", "price_fen": "nonneg_int",
             "price_yuan": "yuan", "contract_no": "opt_text", **COMMAND}),
    CliSpec("obligations claim", lambda w: {"obligation_id": w.ids["obligation_id"], "retirement_id": w.ids["claimable"],
                                            "actor": "enterprise", "request_id": rid()},
            {"obligation_id": "ref", "retirement_id": "ref", **COMMAND},
            skip=frozenset({("actor", "wrong_role")})),  # the enterprise ("wrong_role") may claim its own
    CliSpec("obligations status", lambda w: {"obligation_id": w.ids["obligation_id"], "actor": "authority"},
            {"obligation_id": "opt_ref", "as_of": "opt_date", "actor": "actor"}, read_only=True,
            skip=frozenset({("actor", "wrong_role")})),  # the enterprise ("wrong_role") reads its own
    CliSpec("obligations certificate", lambda w: {"obligation_id": w.ids["obligation_id"], "actor": "authority"},
            {"obligation_id": "ref", "pdf_path": "out_path", "verify_url": "opt_text", "lang": "choice",
             "actor": "actor"}),
    CliSpec("obligations verify", lambda w: {"code": "NOPE-CODE"}, {"code": "ref", "pdf_file": "file"},
            read_only=True),
]
SPEC_BY_ID = {spec.id: spec for spec in SPECS}

# -- issue 22 (helper h7b): sinkledger prices (docs/prices.md) ------------------------------------
NO_INPUT["prices markets"] = "read-only, no input"


def _trace_file(world: Any) -> str:
    """A trace document of the world's bamboo market (``prices trace --out``)."""
    path = world.workdir / "cli" / "trace.json"
    path.parent.mkdir(exist_ok=True)
    if not path.exists():
        trace = world.service.prices.trace(sink_type="bamboo_forest", county_code="330523", frequency="monthly",
                                           window="2024-03")
        path.write_text(json.dumps(trace, ensure_ascii=False), encoding="utf-8")
    return str(path)


def _evidence(prefix: str) -> Lazy:
    return Lazy(lambda world: f"{prefix}={_document(world)}", f"evidence:{prefix}")


def _policy_days() -> tuple[str, str]:
    from datetime import date, timedelta

    today = date.today()
    return (today + timedelta(days=10)).isoformat(), (today + timedelta(days=100)).isoformat()


def _policy_baseline(world: Any, **money: str) -> dict[str, Any]:
    start, end = _policy_days()
    return {"policy_no": f"FZ-JZ-CLI-{uuid.uuid4().hex[:8]}", "insured_party_id": "COL-0001",
            "contract_no": "FZ-SC-SHARE", "sink_type": "bamboo_forest", "county_code": "330523",
            "period_start": start, "period_end": end, "insured_t": "100", **money, "actor": "insurer",
            "request_id": rid()}


BAD["factor_pair"] = [("no_equals", "biodiversity"), ("empty_value", "biodiversity="), ("unknown", "beauty=1.1"),
                      ("over", "biodiversity=3.01"), ("under", "biodiversity=0.49"), ("nan", "biodiversity=NaN"),
                      ("inf", "biodiversity=Infinity"), ("word", "biodiversity=x"),
                      ("fullwidth", "biodiversity=１.1"), ("five_decimals", "biodiversity=1.00001"),
                      ("surrogate", f"biodiversity={SURROGATE}"), ("sql", f"{SQL}=1.1")]
BAD["evidence_pair"] = [("no_equals", "biodiversity"), ("unknown", _evidence("beauty")),
                        ("other_factor", _evidence("co_benefits")), ("missing", "biodiversity=/nonexistent/e.pdf"),
                        ("folder", Lazy(lambda w: f"biodiversity={_folder(w)}", "evidence:folder")),
                        ("dev_null", "biodiversity=/dev/null"),
                        ("empty", Lazy(lambda w: f"biodiversity={_file('empty.json', b'').build(w)}", "evidence:empty")),
                        ("surrogate", "biodiversity=/tmp/\udcff\udcfe.pdf")]
BAD["title_pair"] = [("no_equals", "biodiversity"), ("unknown", "beauty=报告"), ("other_factor", "co_benefits=报告"),
                     ("long", f"biodiversity={LONG}"), ("control", f"biodiversity={CONTROL}"),
                     ("surrogate", f"biodiversity={SURROGATE}")]
SPECS += [
    CliSpec("prices index", lambda w: {"sink_type": "bamboo_forest", "county_code": "330523"},
            {"sink_type": "choice", "county_code": "ref", "frequency": "choice", "date_from": "opt_date",
             "date_to": "opt_date"}, read_only=True),
    CliSpec("prices trace", lambda w: {"sink_type": "bamboo_forest", "county_code": "330523", "window": "2024-03",
                                       "out_path": out("trace.json")},
            {"sink_type": "choice", "county_code": "ref", "frequency": "choice", "window": "ref",
             "out_path": "out_path"}, read_only=True, skip=frozenset({("out_path", "surrogate")})),
    CliSpec("prices check", lambda w: {"trace_file": Lazy(_trace_file)}, {"trace_file": "json_file"},
            read_only=True),
    CliSpec("prices reference", lambda w: {"seller_account": "CENTRE-AJ-H", "quantity": "1", "actor": "clerk"},
            {"seller_account": "ref", "quantity": "pos_int", "sale_date": "opt_date", "actor": "actor"},
            read_only=True),
    CliSpec("prices factors set", lambda w: {"project_code": "FZBUNDLE1", "factor_values": ["biodiversity=1.1"],
                                             "evidence_files": [_evidence("biodiversity")],
                                             "titles": ["biodiversity=评估（模糊测试）"], "actor": "centre",
                                             "request_id": rid()},
            {"project_code": "ref", "factor_values": "factor_pair", "evidence_files": "evidence_pair",
             "titles": "title_pair", **COMMAND}),
    CliSpec("prices factors show", lambda w: {"project_code": "FZBUNDLE1"}, {"project_code": "ref"},
            read_only=True),
    CliSpec("prices policy issue", lambda w: _policy_baseline(w, strike_fen="8000", premium_fen="10000"),
            {"policy_no": "text", "insured_party_id": "ref", "contract_no": "ref", "sink_type": "choice",
             "county_code": "ref", "period_start": "date", "period_end": "date", "strike_fen": "pos_int",
             "insured_t": "pos_int", "premium_fen": "pos_int", "product": "opt_text", **COMMAND},
            unfuzzed={"strike_yuan": "in the 'in yuan' variant", "premium_yuan": "in the 'in yuan' variant"}),
    CliSpec("prices policy issue", lambda w: _policy_baseline(w, strike_yuan="80.00", premium_yuan="100.00"),
            {"strike_yuan": "yuan", "premium_yuan": "yuan"}, variant="in yuan"),
    CliSpec("prices policy settle", lambda w: {"policy_no": w.ids["policy_no"], "reference": "FZ-PAY-CLI",
                                               "actor": "insurer", "request_id": rid()},
            {"policy_no": "ref", "paid_date": "opt_date", "reference": "opt_text", **COMMAND}),
    CliSpec("prices policy list", lambda w: {"actor": "insurer"}, {"limit": "int", "offset": "int", "actor": "actor"},
            read_only=True),
    CliSpec("prices policy show", lambda w: {"policy_no": w.ids["policy_no"], "actor": "insurer"},
            {"policy_no": "ref", "actor": "actor"}, read_only=True),
    CliSpec("prices policy check", lambda w: {"policy_no": w.ids["policy_no"], "actor": "insurer"},
            {"policy_no": "ref", "actor": "actor"}, read_only=True),
]
SPEC_BY_ID = {spec.id: spec for spec in SPECS}
