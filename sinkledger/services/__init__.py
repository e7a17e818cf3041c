"""The service layer: one service per area, each call one transaction over the domain.

``registry`` (``Service``: the composition root and the ledger's calls), its parts ``users``,
``parcels`` and ``estimates`` (``area.RegistryPart``), the area services ``court``, ``income``
and ``people`` (``area.AreaService``), and ``admin`` (user administration), ``sessions`` (web
sign-in sessions), ``queries`` (read models for the pages), ``backup``, ``batch_estimates`` and
``parallel_estimates``. The
edges (CLI, web app, HTTP API) call these and nothing below them; docs/architecture.md.
"""
