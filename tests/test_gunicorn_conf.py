"""gunicorn's settings: what the master does for the workers it forks."""

import gc
import runpy
from pathlib import Path

CONF = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"


def test_the_masters_objects_are_frozen_before_each_worker_is_forked():
    conf = runpy.run_path(str(CONF))
    assert gc.get_freeze_count() == 0
    try:
        conf["pre_fork"](server=None, worker=None)

        assert gc.get_freeze_count() > 10_000  # The loaded app, Django and all.
    finally:
        gc.unfreeze()
