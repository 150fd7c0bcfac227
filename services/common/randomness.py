"""Random bytes from the operating system's generator, drawn a block at a time.

``os.urandom`` is a system call, and a system call hands the GIL to another thread: in the
gateway's threaded worker every such call is a thread switch, and under load the calling
thread then waits its turn to run again. A submission drew three times (its reference, its
command id, its sealed box's nonce). Here each thread keeps a block of ``os.urandom``'s bytes
and hands them out in order: the same generator's bytes, each given once, and a forked child
starts without its parent's blocks (a gunicorn worker never hands out what another did).
"""

import os
import threading
import uuid

BLOCK = 4096  # bytes drawn per system call: 400 references

_local = threading.local()


def _forget_blocks() -> None:
    """In a forked child: no thread may reuse the parent's bytes."""
    global _local
    _local = threading.local()


os.register_at_fork(after_in_child=_forget_blocks)


def token_bytes(n: int) -> bytes:
    """``n`` bytes of ``os.urandom``'s, from this thread's block (a new block when it runs out)."""
    if n > BLOCK:
        return os.urandom(n)
    local = _local
    block, at = getattr(local, "block", b""), getattr(local, "at", 0)
    if at + n > len(block):
        block, at = os.urandom(BLOCK), 0
        local.block = block
    local.at = at + n
    return block[at:at + n]


def uuid4() -> uuid.UUID:
    """``uuid.uuid4()`` from ``token_bytes``."""
    return uuid.UUID(bytes=token_bytes(16), version=4)
