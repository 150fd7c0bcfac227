"""Random bytes from the operating system's generator, drawn a block at a time.

``os.urandom`` is a system call, and a system call hands the GIL to another thread: in the
gateway's threaded worker every such call is a thread switch, and under load the calling
thread then waits its turn to run again. A submission drew three times (its reference, its
command id, its sealed box's nonce) and every signed RPC call once (its ``jti``). Here the
process keeps one block of ``os.urandom``'s bytes and hands them out in order, under a lock:
the same generator's bytes, each given once, and a forked child starts without its parent's
block (a gunicorn worker never hands out what another did).
"""

import os
import threading
import uuid

BLOCK = 4096  # bytes drawn per system call: 400 references

_lock = threading.Lock()
_block, _at = b"", 0


def _forget_block() -> None:
    """In a forked child: the parent's bytes are never handed out again."""
    global _lock, _block, _at
    _lock, _block, _at = threading.Lock(), b"", 0


os.register_at_fork(after_in_child=_forget_block)


def token_bytes(n: int) -> bytes:
    """``n`` bytes of ``os.urandom``'s, from the process's block (a new block when it runs out)."""
    global _block, _at
    if n > BLOCK:
        return os.urandom(n)
    with _lock:
        if _at + n > len(_block):
            _block, _at = os.urandom(BLOCK), 0
        start, _at = _at, _at + n
        return _block[start:_at]


def uuid4() -> uuid.UUID:
    """``uuid.uuid4()`` from ``token_bytes``."""
    return uuid.UUID(bytes=token_bytes(16), version=4)
