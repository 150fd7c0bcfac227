"""The benchmark stops cleanly on SIGTERM: it becomes ``SystemExit`` in the main thread, so the
``finally`` blocks that stop networks and broker nodes and drop databases run."""

import os
import signal

import pytest

from bench.run import stop_cleanly_on_sigterm


def test_sigterm_becomes_system_exit_so_cleanup_runs():
    previous = signal.getsignal(signal.SIGTERM)
    cleaned = []
    try:
        stop_cleanly_on_sigterm()
        with pytest.raises(SystemExit) as info:
            try:
                os.kill(os.getpid(), signal.SIGTERM)
                signal.sigtimedwait([], 0)  # let the handler run here, not later
            finally:
                cleaned.append("network stopped")
        assert info.value.code == 128 + signal.SIGTERM
        assert cleaned == ["network stopped"]
    finally:
        signal.signal(signal.SIGTERM, previous)
