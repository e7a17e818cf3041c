"""The one way an area service is wired: built from the registry's :class:`Service` (its
settings, database and clock) and reached as an attribute of it: ``service.court``,
``service.income``, ``service.people``.

An area service adds its own role check (and, where it has one, a check of a request's content)
in front of the registry's :meth:`Service._run`, which runs every command the same way:
permission, idempotency, writer lock, invariants, journal entry, one transaction.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, Callable, Mapping

from ledger.permissions import Actor

if TYPE_CHECKING:  # for annotations only
    from sinkledger.config import Settings
    from sinkledger.db.database import Database
    from sinkledger.services.registry import Service


class RegistryPart:
    """A part of the registry :class:`~sinkledger.services.registry.Service`, which inherits it:
    the calls of one area of the registry (users, parcels, estimates) in a module of its own.
    ``self`` is the registry; these are what the parts use of it."""

    db: Database
    settings: Settings
    clock: Callable[[], str]

    def _run(self, actor: Actor, command: str, request_id: str, content: Mapping[str, Any],
             handler: Callable[..., Any], **options: Any) -> dict[str, Any]:
        raise NotImplementedError  # the registry Service's

    def require_initialised(self) -> None:
        raise NotImplementedError  # the registry Service's


class AreaService:
    """The base of the area services.

    Parameters
    ----------
    service : sinkledger.services.registry.Service
        The registry's service (settings, database, clock), built once per process.
    """

    def __init__(self, service: Service) -> None:
        self.service = service

    @property
    def db(self) -> Database:
        return self.service.db

    def today(self) -> date:
        """The service clock's date (UTC), the day a command is recorded on."""
        return date.fromisoformat(self.service.clock()[:10])

    def _require(self, actor: Actor, command: str) -> None:
        """The area's own role check, before the registry's (overridden by each area)."""

    def _check_request(self, content: Mapping[str, Any]) -> None:
        """The area's own check of a request's content (overridden where an area has one)."""

    def _run(self, actor: Actor, command: str, request_id: str, content: Mapping[str, Any],
             handler: Callable[..., Any], **options: Any) -> dict[str, Any]:
        self._require(actor, command)
        self._check_request(content)
        return self.service._run(actor, command, request_id, content, handler, **options)
