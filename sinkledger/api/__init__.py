"""The HTTP API for institutions (issue 18): FastAPI on uvicorn over the services.

:mod:`~sinkledger.api.app` builds the application (``ROUTERS``), :mod:`~sinkledger.api.deps`
holds what endpoints share (service, key, request id, pages), :mod:`~sinkledger.api.problems`
renders refusals as RFC 9457 problem documents, and one module per area holds its endpoints; :mod:`~sinkledger.api.public` is the public registry
(``/public``, no key).
Start it with ``sinkledger api``; docs/api.md has curl examples for every institution.
"""
