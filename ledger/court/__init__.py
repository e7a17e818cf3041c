"""Judicial carbon-sink compensation (司法碳汇补偿; 认购碳汇替代性修复).

A court registers a case (案件) and the damaged ecosystem, orders (判令) the defendant to buy
and retire credits (a quantity, or an amount of money converted at each purchase's price), and
follows the fulfilment; each purchase is bought and retired against the case in one journal
entry; a certificate (碳汇补偿证明) with a verification code and QR code proves it to anyone.
See ``docs/court.md``.

Modules: :mod:`~ledger.court.domain` (pure rules), :mod:`~ledger.court.store` (tables),
:mod:`~ledger.court.cases`, :mod:`~ledger.court.orders`, :mod:`~ledger.court.calculator`,
:mod:`~ledger.court.fulfilment`, :mod:`~ledger.court.certificates`,
:mod:`~ledger.court.reports`. The PDF and the Excel report are drawn by :mod:`sinkledger.documents`.
"""
