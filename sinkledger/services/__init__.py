"""The service layer: one service per area, each call one transaction over the domain.

``registry`` (parties, users, parcels, estimates, credits: the registry's core), ``court``,
``income``, ``people``, ``admin`` (users), ``sessions`` (web sign-in sessions), ``queries``
(read models for the pages), ``backup``, ``batch_estimates`` and ``parallel_estimates``. The
edges (CLI, web app, HTTP API) call these and nothing below them; docs/architecture.md.
"""
