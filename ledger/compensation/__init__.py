"""Ecological protection compensation (碳汇生态保护补偿): a government programme pays the holders
of verified sink from its budget, per tonne or per hectare, and the money reaches households under
the collection contracts' terms, like sale proceeds.

An authority registers a programme (budget, basis and rate, eligibility: sink types, counties,
vintages, payment period); each payment rests on one verified (issued) estimate and names, for
each of its vintages, the batch, tonnes, area and amount, with the estimate's reproducibility
hash and the issuance's entry hash in the entry body. A unit (programme, estimate, vintage) is
paid at most once; the budget is never overdrawn. See ``docs/instruments.md``.

Modules: :mod:`~ledger.compensation.domain` (pure rules), :mod:`~ledger.compensation.store`
(tables), :mod:`~ledger.compensation.programmes` (the two commands and the facts they read),
:mod:`~ledger.compensation.audit` (``verify``'s table audits).
"""
