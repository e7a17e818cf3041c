"""Every table audit ``verify`` runs: the ledger core's (:mod:`ledger.audit`) and those of the
income and court areas and of imported registries' projects, which build on the core's
:class:`~ledger.audit.TableAudit`."""

from __future__ import annotations

from ledger.audit import Audits, TableAudit, core_audits
from ledger.compensation.audit import DUE_SOURCES as COMPENSATION_DUE_SOURCES
from ledger.compensation.audit import audits as compensation_audits
from ledger.court.audit import audits as court_audits
from ledger.income.audit import audits as income_audits
from ledger.prices.audit import DUE_SOURCES as PRICE_DUE_SOURCES
from ledger.prices.audit import audits as price_audits
from ledger.quota.audit import audits as quota_audits
from ledger.quota.audit import extend_core
from ledger.registry_import.audit import audits as registry_import_audits


def default_audits() -> list[TableAudit]:
    """A fresh set of every table audit, for one verify run."""
    return [*extend_core(core_audits()), *income_audits({**COMPENSATION_DUE_SOURCES, **PRICE_DUE_SOURCES}),
            *court_audits(), *registry_import_audits(), *compensation_audits(), *quota_audits(),
            *price_audits()]  # issue 22: compensation and quotas (helper h8), prices (helper h7)


def table_audits() -> Audits:
    """Every table audit, as one observer for one verify run."""
    return Audits(default_audits(), factory=default_audits)
