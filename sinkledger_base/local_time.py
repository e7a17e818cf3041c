"""Times where people read them: the ledger records UTC, every page and document shows
Asia/Shanghai (one zone for all of China, no summer time; issue 19).

>>> local_timestamp("2025-03-01T20:00:00+00:00")
'2025-03-02 04:00:00 (UTC+8)'
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final
from zoneinfo import ZoneInfo

LOCAL_ZONE: Final = ZoneInfo("Asia/Shanghai")
ZONE_LABEL: Final = "(UTC+8)"


def local(value: str | datetime) -> datetime:
    """A recorded moment (ISO text or datetime) in :data:`LOCAL_ZONE`; no offset means UTC."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(LOCAL_ZONE)


def local_timestamp(value: str | datetime) -> str:
    """A moment to the second in :data:`LOCAL_ZONE`, labelled with its offset."""
    return f"{local(value):%Y-%m-%d %H:%M:%S} {ZONE_LABEL}"


def utc_start_of_day(day: str) -> str:
    """The UTC moment (ISO text, to the second, no offset) at which the local calendar ``day``
    (``YYYY-MM-DD``) begins: what a recorded UTC time is compared with to filter by a person's day.

    >>> utc_start_of_day("2025-03-02")
    '2025-03-01T16:00:00'
    """
    start = datetime.fromisoformat(day[:10]).replace(tzinfo=LOCAL_ZONE)
    return start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def utc_now() -> datetime:
    """Now, in UTC (what the services record)."""
    return datetime.now(UTC)


def utc_text(moment: datetime) -> str:
    """A moment as the services store it: UTC ISO text to the microsecond, with its offset.

    >>> utc_text(datetime(2025, 3, 2, 4, 0, tzinfo=LOCAL_ZONE))
    '2025-03-01T20:00:00.000000+00:00'
    """
    if moment.tzinfo is UTC:  # what utc_now() gives: no conversion to make
        return moment.isoformat(timespec="microseconds")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")
