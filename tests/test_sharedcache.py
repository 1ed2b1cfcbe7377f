"""The shared cache's counters and flags, on both kinds of cache."""

import pytest
from django.core.cache import cache

from appeals.sharedcache import add_flag, increment

pytestmark = pytest.mark.usefixtures("shared_cache")


def test_a_flag_is_set_once_until_it_is_deleted():
    assert add_flag("flag", 60) is True
    assert add_flag("flag", 60) is False

    cache.delete("flag")

    assert add_flag("flag", 60) is True


def test_counters_move_together_each_on_its_own_count():
    assert increment([("a", 60), ("b", 60)]) == [1, 1]
    assert increment([("a", 60), ("b", 60), ("c", 60)]) == [2, 2, 1]
