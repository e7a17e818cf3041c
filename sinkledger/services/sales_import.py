"""Sales from a spreadsheet: every row checked by a sale's own rules, previewed, recorded all or nothing.

A :class:`~sinkledger.services.area.RegistryPart`: the registry Service inherits it.

- **Same rules as one sale.** Each row is run as the sale command itself (:meth:`Service.sell`,
  ``ledger/sale.py``: quantity, price, contract number, dates, accounts, available credits,
  pledges, the actor's permission), one after the other as they would be recorded, so a row
  that would overdraw a seller because of an earlier row is refused at that row. The file adds
  its own checks before: every cell readable (:mod:`sinkledger.services.sales_files`), the seller
  and buyer known (an account id, a party id, or a party's exact name), and a price not 50 times
  off the recent median (``price_looks_like_wrong_unit``: yuan and fen per tonne differ 100-fold).
- **All or nothing.** The rows run in one write transaction (:meth:`Database.batch` with no
  intermediate commit): a preview always rolls it back; an import commits it only if no row has
  a problem, and otherwise is refused with every problem listed (``sales_import_has_problems``),
  having recorded nothing.
- **A retry has one effect.** Row *n*'s request id is ``<request id>:<n>`` (*n* the spreadsheet's
  row number); the import's request id defaults to ``sales-import:`` and the digest of the rows
  read, so importing the same file again (or a re-saved copy) replays the sales recorded the
  first time instead of recording them twice. Each sale is its own journal entry, with its
  receipt, correction and distribution as any other.
"""

from __future__ import annotations

import math
from typing import Any

from ledger.commands import check_request_id
from ledger.permissions import Actor, require
from sinkledger.services.area import RegistryPart
from sinkledger.services.queries import PRICE_BAND, recent_median_price, sales_with_contracts
from sinkledger.services.sales_files import SaleLine, SalesFile, problem, read_sales_file
from sinkledger_base.errors import InvalidInput, SinkLedgerError

UNIT_SLIP_FACTOR = 50  # a price this many times above or below the recent median: the wrong unit, surely
ROW_SUFFIX_CHARS = 8  # ":" and the row number, within the ledger's 120 characters of a request id
MAX_IMPORT_REQUEST_ID_CHARS = 120 - ROW_SUFFIX_CHARS


class _Rehearsed(Exception):
    """Raised to roll back a preview's transaction once every row has been tried."""


def default_request_id(sales: SalesFile) -> str:
    """The import's request id when the caller gives none: the same rows, the same id."""
    return f"sales-import:{sales.digest[:40]}"


class SalesImportCalls(RegistryPart):
    """The registry's calls for importing sales (``self`` is the registry :class:`Service`)."""

    def preview_sales(self, actor: Actor, *, data: bytes, file_name: str,
                      request_id: str | None = None) -> dict[str, Any]:
        """Every row of the file as it would be recorded, or why not; records nothing.

        Returns ``rows`` (each: row, seller and buyer accounts and names, quantity, price and
        amount in fen, contract number, dates, ``problems``, ``warnings`` as catalogue keys with
        parameters, and ``recorded_seq`` when an earlier import of the same rows recorded it),
        ``problems`` (the file's and every row's), ``ok``, totals and the ``request_id`` an
        import of this file would use.
        """
        return self._run_rows(actor, data, file_name, request_id, record=False)

    def import_sales(self, actor: Actor, request_id: str | None = None, *, data: bytes,
                     file_name: str) -> dict[str, Any]:
        """Record every sale of the file in one transaction, or none (``sales_import_has_problems``,
        every problem listed). Returns ``sales`` (each sale's result, as :meth:`Service.sell`
        gives it), ``count``, ``quantity``, ``amount_fen``, ``replayed`` (every sale was already
        recorded by an earlier import of the same rows) and ``request_id``."""
        out = self._run_rows(actor, data, file_name, request_id, record=True)
        sales = [r["result"] for r in out["rows"]]
        return {"source": out["source"], "request_id": out["request_id"], "sales": sales, "count": len(sales),
                "quantity": out["quantity"], "amount_fen": out["amount_fen"],
                "replayed": bool(sales) and all(s["replayed"] for s in sales)}

    # -- the rows, run in one transaction ---------------------------------------------------------

    def _run_rows(self, actor: Actor, data: bytes, file_name: str, request_id: str | None, *,
                  record: bool) -> dict[str, Any]:
        require(actor, "sell")
        if not isinstance(data, (bytes, bytearray)):
            raise InvalidInput("value_invalid", field="data", value=type(data).__name__)
        if not isinstance(file_name, str) or not file_name.strip():
            raise InvalidInput("field_required", field="file_name")
        self.require_initialised()
        sales = read_sales_file(bytes(data), file_name)
        request_id = self._import_request_id(request_id, sales)
        context = _RowContext(self, sales)
        rows: list[dict[str, Any]] = []
        try:
            with self.db.batch(commit_every=len(sales.lines) + 1, commit_every_s=math.inf):
                for line in sales.lines:
                    rows.append(self._run_row(actor, f"{request_id}:{line.row}", line, context))
                if record and (_problems(sales, rows) or not rows):
                    raise _refusal(sales, _problems(sales, rows))
                if not record:
                    raise _Rehearsed
        except _Rehearsed:
            pass
        problems = _problems(sales, rows)
        return {"source": {"name": sales.name, "price_unit": sales.price_unit, "columns": sales.columns,
                           "ignored_columns": sales.ignored_columns},
                "request_id": request_id, "rows": rows, "problems": problems,
                "ok": not problems and bool(rows), "count": len(rows),
                "quantity": sum(r["quantity"] or 0 for r in rows),
                "amount_fen": sum(r["amount_fen"] or 0 for r in rows)}

    def _import_request_id(self, request_id: str | None, sales: SalesFile) -> str:
        if request_id is None:
            return default_request_id(sales)
        check_request_id(request_id)  # as every command's: text, printable
        if len(request_id) > MAX_IMPORT_REQUEST_ID_CHARS:
            raise InvalidInput("text_too_long", field="request_id", max_chars=MAX_IMPORT_REQUEST_ID_CHARS)
        return request_id

    def _run_row(self, actor: Actor, row_request_id: str, line: SaleLine, context: _RowContext) -> dict[str, Any]:
        """One row: the file's checks, then the sale command itself (in the open transaction)."""
        problems = [p for p in context.sales.problems if p["row"] == line.row]
        seller = context.account(line.seller, line.row, "seller", problems)
        buyer = context.account(line.buyer, line.row, "buyer", problems)
        problems += context.price_problems(line)
        out = {**line.to_record(), "seller_account": seller, "buyer_account": buyer,
               "seller_name": context.name_of(seller), "buyer_name": context.name_of(buyer),
               "amount_fen": (line.quantity * line.price_fen_per_t
                              if line.quantity is not None and line.price_fen_per_t is not None else None),
               "problems": problems, "warnings": context.warnings(line), "recorded_seq": None, "result": None}
        if problems:
            return out
        try:
            result = self.sell(actor, row_request_id, seller_account=seller, buyer_account=buyer,
                               quantity=line.quantity, price_fen_per_t=line.price_fen_per_t,
                               contract_no=line.contract_no, sale_date=line.sale_date,
                               contract_date=line.contract_date)
        except SinkLedgerError as exc:  # the sale's own refusal, at this row
            details = {k: v for k, v in exc.details().items() if k not in ("row", "field")}
            problems.append(problem(exc.code, line.row, exc.params.get("field"), **details))
            return out
        out["result"] = result
        if result["replayed"]:
            out["recorded_seq"] = result["seq"]
            out["warnings"] = [w for w in out["warnings"] if w[0] != "contract_already_used"]
        return out


class _RowContext:
    """What every row is checked against, read once before the rows run: the parties and their
    holding accounts, the recent median price, the sales already recorded under the file's
    contract numbers."""

    def __init__(self, service: Any, sales: SalesFile) -> None:
        self.sales = sales
        self.by_account: dict[str, str] = {}  # account id → party name
        self.by_party: dict[str, str] = {}  # party id → account id
        self.by_name: dict[str, list[str]] = {}  # party name → account ids
        for p in service.parties():
            if p["account_id"]:
                self.by_account[p["account_id"]] = p["name"] or p["party_id"]
                self.by_party[p["party_id"]] = p["account_id"]
                if p["name"]:
                    self.by_name.setdefault(p["name"], []).append(p["account_id"])
        self.median_fen = recent_median_price(service)
        contracts = sorted({line.contract_no for line in sales.lines if line.contract_no})
        self.recorded = sales_with_contracts(service, contracts)  # contract → its sales, newest first
        self.in_file: dict[str, int] = {}
        for line in sales.lines:
            if line.contract_no:
                self.in_file[line.contract_no] = self.in_file.get(line.contract_no, 0) + 1

    def account(self, ref: str, row: int, side: str, problems: list[dict[str, Any]]) -> str | None:
        """The holding account a cell names: an account id, a party id, or a party's exact name."""
        if not ref:
            return None
        if ref in self.by_account:
            return ref
        if ref in self.by_party:
            return self.by_party[ref]
        named = self.by_name.get(ref, [])
        if len(named) == 1:
            return named[0]
        column = self.sales.columns.get(side, side)
        if named:
            problems.append(problem("party_name_ambiguous", row, column, name=ref, accounts=", ".join(named)))
        else:
            problems.append(problem("account_not_found", row, column, account=ref))
        return None

    def name_of(self, account: str | None) -> str | None:
        return self.by_account.get(account) if account else None

    def price_problems(self, line: SaleLine) -> list[dict[str, Any]]:
        """A price 50 times off the recent median: the wrong unit (yuan/fen), refused at its row."""
        price, median = line.price_fen_per_t, self.median_fen
        if not price or not median:
            return []
        ratio = price / median
        if 1 / UNIT_SLIP_FACTOR < ratio < UNIT_SLIP_FACTOR:
            return []
        column = self.sales.columns.get("price_yuan") or self.sales.columns.get("price_fen")
        return [problem("price_looks_like_wrong_unit", line.row, column, price_fen=price, median_fen=median,
                        price=_yuan_text(price), median=_yuan_text(median),
                        ratio=f"{round(ratio)}" if ratio >= 1 else f"1/{round(1 / ratio)}")]

    def warnings(self, line: SaleLine) -> list[tuple[str, dict[str, Any]]]:
        """Advice, as a single sale's page gives it: a price outside the usual band, a contract
        number already on a recorded sale or on another row of the file."""
        out: list[tuple[str, dict[str, Any]]] = []
        price, median = line.price_fen_per_t, self.median_fen
        if price and median and not (PRICE_BAND[0] * median <= price <= PRICE_BAND[1] * median):
            out.append(("check_price_outlier", {"median_fen": median}))
        if price == 0:
            out.append(("check_price_zero", {}))
        earlier = self.recorded.get(line.contract_no)
        if earlier:
            out.append(("contract_already_used", {"contract": line.contract_no,
                                                  "seqs": ", ".join(str(e["seq"]) for e in earlier[:5]),
                                                  "recorded_at": earlier[0]["recorded_at"]}))
        if self.in_file.get(line.contract_no, 0) > 1:
            out.append(("sales_contract_repeated_in_file", {"contract": line.contract_no,
                                                            "n": self.in_file[line.contract_no]}))
        return out


def _problems(sales: SalesFile, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The file's own problems (no row), then each row's (a row's list holds its cells' too)."""
    return [p for p in sales.problems if p["row"] is None] + [p for r in rows for p in r["problems"]]


def _yuan_text(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def _refusal(sales: SalesFile, problems: list[dict[str, Any]]) -> InvalidInput:
    if not problems:
        return InvalidInput("sales_file_empty", source=sales.name)
    return InvalidInput("sales_import_has_problems", source=sales.name, count=len(problems),
                        rows=len({p["row"] for p in problems if p["row"] is not None}), problems=problems)

