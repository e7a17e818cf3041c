"""The HTTP API (issue 18): FastAPI routers over the services."""
