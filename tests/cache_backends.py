from django.core.cache.backends.base import BaseCache


class UnusableCache(BaseCache):
    """A cache that fails on any use: proves a piece of code never touches one."""

    def __init__(self, location, params):
        super().__init__(params)

    def _refuse(self, *args, **kwargs):
        raise AssertionError("the cache was used")

    add = get = set = touch = delete = clear = has_key = incr = _refuse
