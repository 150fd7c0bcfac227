"""Kept for callers outside the legal service that still import ``services.legal.app`` (the
``refnet rotate-keys`` command and two tests of other services): the use cases now live in
services/legal/usecases, one module per aggregate; import them from there."""

from .domain.notes import open_note, seal_note  # noqa: F401
from .usecases import *  # noqa: F401,F403
from .usecases import __all__ as _usecases

__all__ = [*_usecases, "open_note", "seal_note"]
