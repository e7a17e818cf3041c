"""The registry of methodologies: look one up by id (and version), or list them all.

Each methodology module exposes one object satisfying :class:`methodologies.base.Methodology`;
it is registered here by ``(id, version)``. Versions are semantic (``MAJOR.MINOR.PATCH``);
without a version, :func:`get_methodology` returns the highest. A methodology version never
changes once released: a change in equations or defaults is a new version, so that an estimate's
``methodology_version`` and ``reproducibility_hash`` keep their meaning.
"""

from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from methodologies.bamboo_forest import BambooMosoManagement
from methodologies.base import Methodology
from methodologies.errors import MethodologyNotFound
from methodologies.tea_garden import TeaGarden
from methodologies.wetland import WetlandLakeMarsh

_METHODOLOGIES: Final[tuple[Methodology, ...]] = (
    BambooMosoManagement("1.0.0"), BambooMosoManagement("1.1.0"), BambooMosoManagement("1.2.0"),
    WetlandLakeMarsh(),
    TeaGarden("1.0.0"), TeaGarden("1.1.0"),
)
_BY_ID_AND_VERSION: Final[Mapping[tuple[str, str], Methodology]] = MappingProxyType(
    {(m.id, m.version): m for m in _METHODOLOGIES})


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def list_methodologies() -> tuple[Methodology, ...]:
    """Return every registered methodology, sorted by id then version."""
    return tuple(sorted(_METHODOLOGIES, key=lambda m: (m.id, _version_key(m.version))))


def get_methodology(methodology_id: str, version: str | None = None) -> Methodology:
    """Return the methodology ``methodology_id`` at ``version`` (default: the latest).

    Raises
    ------
    MethodologyNotFound
        ``methodology_unknown`` or ``methodology_version_unknown``.
    """
    versions = sorted((m.version for m in _METHODOLOGIES if m.id == methodology_id),
                      key=_version_key)
    if not versions:
        known = ", ".join(sorted({m.id for m in _METHODOLOGIES}))
        raise MethodologyNotFound.build("methodology_unknown", value=methodology_id,
                                        allowed=known)
    chosen = versions[-1] if version is None else version
    if (methodology_id, chosen) not in _BY_ID_AND_VERSION:
        raise MethodologyNotFound.build("methodology_version_unknown", value=methodology_id,
                                        version=version, allowed=", ".join(versions))
    return _BY_ID_AND_VERSION[(methodology_id, chosen)]
