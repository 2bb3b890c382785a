"""How ``mcphub serve`` sets up Python's cycle collector once the hub has started."""

from __future__ import annotations

import gc

SERVING_THRESHOLDS = (20_000, 20, 20)
"""The collector's thresholds while serving (Python's are 700, 10, 10). A request
allocates a few hundred objects and almost all are freed by reference counting, but a
young collection every 700 allocations walked the objects of every request in flight,
and promoted them to be walked again by the older generations: 10 µs of CPU per proxied
call at 6,000 calls/s. Collected 30 times less often, the same objects are mostly gone
first. Memory is unchanged (measured: the same RSS after 50,000 calls), and a young
collection of 20,000 objects is a pause of about 0.4 ms."""


def settle_for_serving() -> None:
    """Freeze what start-up built and collect less often from now on.

    What start-up built (modules, models, plugins, upstream sessions) lives as long as the
    process: frozen out of the collector, whose full passes would otherwise walk it all
    again and again under load."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*SERVING_THRESHOLDS)
