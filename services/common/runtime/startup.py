"""What a process does once it has started, before it takes work."""

import gc


def freeze_startup_objects() -> None:
    """Collect once, then move every object alive after start-up (modules, classes, schemas,
    the app) out of the cyclic collector's reach (``gc.freeze``): a full collection no longer
    walks them. Measured in a gateway worker under intake load (bench/README.md): its ~100,000
    start-up objects made each full collection pause every thread for 39-135 ms."""
    gc.collect()
    gc.freeze()
