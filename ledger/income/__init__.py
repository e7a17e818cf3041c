"""From collection to farmers' income (收储 → 收益分配): issue 7.

Huzhou's chain "resource collection → management services → value growth → platform trading →
revenue distribution" ends with money in the villages: Anji returns 80 % of net sale proceeds to
them. This package makes every yuan traceable from a sale to a household, in whole fen:

- :mod:`ledger.allocation` (shared with issuance): the one pure rounding rule (largest remainder, stable order);
- :mod:`~ledger.income.terms`: payment terms of collection contracts, with stated costs;
- :mod:`~ledger.income.documents`: documents of collection contracts, by SHA-256;
- :mod:`~ledger.income.projects`: bundled projects (打捆开发);
- :mod:`~ledger.income.contributions`: each parcel's share of every issuance (kg and tonnes);
- :mod:`~ledger.income.distribution`: a sale's proceeds to contracts, collectives, households;
- :mod:`~ledger.income.obligations`: scheduled payments of fixed-payment contracts;
- :mod:`~ledger.income.payments`: payments made against what is due;
- :mod:`~ledger.income.liens`: pledges of future issuances (收储贷 / 碳汇共富贷);
- :mod:`~ledger.income.losses`: insured loss events, the carbon lost, the reversal, claims;
- :mod:`~ledger.income.statements`: per household and per collective, for a period;
- :mod:`~ledger.income.hooks`: what an issuance adds (contributions, lien pledges).

See ``docs/income.md``.
"""
