"""Fixtures for the price index and index insurance (issue 22): the income villages (a centre, three
collectives, households, contracts, a bundle issued to the centre) and a clock the tests move."""

from __future__ import annotations

import pytest

from tests.income.conftest import (  # noqa: F401 - the income fixtures, reused
    CENTRE,
    contracted,
    income,
    issued,
    villages,
)
from tests.ledger.conftest import registry  # noqa: F401


class Clock:
    """The service's clock, set to a day (10:00 Asia/Shanghai = 02:00 UTC), microseconds apart."""

    def __init__(self) -> None:
        self.day, self.tick = "2024-01-01", 0

    def __call__(self) -> str:
        self.tick += 1
        return f"{self.day}T02:00:00.{self.tick:06d}+00:00"


@pytest.fixture
def market(issued):  # type: ignore[no-untyped-def]  # noqa: F811
    """Given the bundle issued to the centre (the clock now the tests'), and the market its
    credits trade in (sink type, county)."""
    svc = issued.service
    clock = Clock()
    clock.day = "2025-01-05"
    svc.clock = clock
    issued.clock = clock  # type: ignore[attr-defined]
    batch = issued.issuance["batches"][0]["batch_id"]
    from ledger.prices.trades import market_of_batch

    issued.market = market_of_batch(batch)  # type: ignore[attr-defined]
    return issued


def trade(income, request: str, *, day: str, price: int, quantity: int = 100,  # type: ignore[no-untyped-def]
          seller: str = f"{CENTRE}-H", buyer: str = "ENT-1-H") -> dict:
    """A sale recorded on ``day`` (the clock moved there) at ``price`` fen/t."""
    svc = income.service
    svc.clock.day = day
    return svc.sell(svc.actor("clerk"), request, seller_account=seller, buyer_account=buyer, quantity=quantity,
                    price_fen_per_t=price, contract_no=f"HZGT-{request}", sale_date=day)
