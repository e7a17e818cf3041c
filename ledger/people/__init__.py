"""The person register (个人信息登记簿): households' personal data, kept outside the chain.

Households are natural persons; their names, resident ID numbers (居民身份证号码), phone numbers
and bank accounts are personal information under China's Personal Information Protection Law
(PIPL, 个人信息保护法). The journal is append-only and hashed, so none of it may enter there:
the journal refers to a household only by its party id (and its pseudonym, ``PartyRow.name``).

This package keeps the details in separate tables that can be corrected and erased
(:mod:`ledger.people.store`), encrypted at rest (:mod:`ledger.people.crypto`, key handling in
:mod:`ledger.people.keys`), validated where they enter (:mod:`ledger.people.validation`), shown
per role through one matrix (:mod:`ledger.people.masking`), and every read or change of them is
written to an append-only, hash-chained access log (:mod:`ledger.people.access_log`). The
service API is :class:`sinkledger.services.people.PeopleService`; ``docs/personal-data.md``
explains the design.
"""
