"""The shared cache's counters, on both kinds of cache."""

import pytest

from appeals.sharedcache import increment

pytestmark = pytest.mark.usefixtures("shared_cache")


def test_counters_move_together_each_on_its_own_count():
    assert increment([("a", 60), ("b", 60)]) == [1, 1]
    assert increment([("a", 60), ("b", 60), ("c", 60)]) == [2, 2, 1]
