"""Quota obligations (配额 / 限额履约): an authority requires an enterprise to surrender a quantity
of carbon-sink credits of given sink types and vintages by a deadline; the enterprise (or the
trading centre for it) retires credits against the obligation, bought in the same entry or held;
an earlier retirement of its own may be counted instead; once every tonne is counted the
obligation is met and a certificate with a verification code proves it to anyone.

What counts, exactly (docs/instruments.md): a **retirement** from the enterprise's own holding
account, of credits whose batch is eligible (sink type, vintage, county), recorded on or after
the obligation's start date: either a surrender (``obligation_surrender``: retirement kind
``obligation``, made for this obligation and no other) or a voluntary retirement counted by
``obligation_claim``. A purchase counts only through the retirement of what it bought (a
purchase and its retirement in one surrender entry): credits merely bought can be sold again.
Each retirement counts for one obligation at most (the ``obligation_credit`` table is keyed by
the retirement id), so no tonne discharges two obligations.

Modules: :mod:`~ledger.quota.store`, :mod:`~ledger.quota.obligations` (set, surrender, claim),
:mod:`~ledger.quota.certificates`, :mod:`~ledger.quota.audit`.
"""
