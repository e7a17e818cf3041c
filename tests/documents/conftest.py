"""The income and court stories, whose documents these tests render."""

from tests.court.conftest import court, stocked  # noqa: F401
from tests.court.test_story import story  # noqa: F401
from tests.income.conftest import contracted, income, issued, sold, villages  # noqa: F401
from tests.ledger.conftest import registry  # noqa: F401
