"""Every table audit ``verify`` runs: the ledger core's (:mod:`ledger.audit`) and those of the
income and court areas, which build on the core's :class:`~ledger.audit.TableAudit`."""

from __future__ import annotations

from ledger.audit import Audits, TableAudit, core_audits
from ledger.court.audit import audits as court_audits
from ledger.income.audit import audits as income_audits


def default_audits() -> list[TableAudit]:
    """A fresh set of every table audit, for one verify run."""
    return [*core_audits(), *income_audits(), *court_audits()]


def table_audits() -> Audits:
    """Every table audit, as one observer for one verify run."""
    return Audits(default_audits(), factory=default_audits)
