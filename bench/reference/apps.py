"""Reference views for `make bench`: the framework's ceiling on this machine.

Installed only when BENCH_REFERENCE_VIEWS=1 (the benchmark sets it).
"""

from django.apps import AppConfig


class ReferenceConfig(AppConfig):
    name = "bench.reference"
    label = "bench_reference"
