"""The shared cache's counters, on both kinds of cache."""

import pytest

from appeals import sharedcache
from appeals.sharedcache import increment

pytestmark = pytest.mark.usefixtures("shared_cache")


def test_counters_move_together_each_on_its_own_count():
    assert increment([("a", 60), ("b", 60)]) == [1, 1]
    assert increment([("a", 60), ("b", 60), ("c", 60)]) == [2, 2, 1]


def window(key="w", seconds=60, limit=2):
    return (sharedcache.Window(key, seconds, limit),)


def admit(*events):
    return [past[0] for past in sharedcache.admit(list(events))]


def test_a_window_admits_its_limit_and_counts_only_what_it_admitted():
    events = [sharedcache.Event(f"e{n}", 1000.0 + n, window()) for n in range(4)]

    assert admit(*events) == [False, False, True, True]
    # 61 s after the first: it has left the window, the refused never entered it.
    assert admit(sharedcache.Event("late", 1061.0, window())) == [False]


def test_admitting_an_event_again_gives_the_same_answer_and_counts_it_once():
    first, second = (sharedcache.Event(f"e{n}", 1000.0 + n, window()) for n in (1, 2))
    assert admit(first, second) == [False, False]

    assert admit(first, second, first) == [False, False, False]
    assert admit(sharedcache.Event("third", 1003.0, window())) == [True]


def test_an_event_is_counted_in_the_window_that_ends_at_its_own_moment():
    assert admit(
        sharedcache.Event("now", 5000.0, window()),
        sharedcache.Event("now-2", 5001.0, window()),
    ) == [False, False]

    # Counted late, an event from an hour before finds its own window empty.
    assert admit(sharedcache.Event("an-hour-ago", 1400.0, window())) == [False]


def test_an_event_over_one_of_its_windows_enters_none_of_them():
    tight, loose = window("tight", limit=1)[0], window("loose", limit=5)[0]
    both = (tight, loose)
    assert sharedcache.admit(
        [sharedcache.Event("a", 1.0, both), sharedcache.Event("b", 2.0, both)]
    ) == [[False, False], [True, False]]

    assert (
        admit(*(sharedcache.Event(f"c{n}", 3.0 + n, (loose,)) for n in range(4)))[-1]
        is False
    )  # "b" took no room in the loose window: a, c0..c3 make five.


def test_an_event_screened_late_cannot_push_a_later_window_past_its_limit():
    prompt = [sharedcache.Event(f"e{n}", 100.0 + n, window()) for n in (1, 2)]
    assert admit(*prompt) == [False, False]

    # From 30 s before them, screened after them: its window reaches them.
    assert admit(sharedcache.Event("late", 70.0, window())) == [True]
