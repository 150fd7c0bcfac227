"""Random bytes a block at a time (services/common/randomness.py): each byte given once, to
one thread, and never by a forked child that inherited its parent's block."""

import os
import threading
import uuid

from services.common import randomness
from services.common.randomness import BLOCK, token_bytes, uuid4
from services.contracts.references import is_reference, random_reference


def test_draws_are_consecutive_bytes_of_one_block_and_a_new_block_follows(monkeypatch):
    blocks, real = [], os.urandom

    def urandom(n):
        blocks.append(real(n))
        return blocks[-1]

    monkeypatch.setattr(randomness, "_block", b"")
    monkeypatch.setattr(randomness.os, "urandom", urandom)
    drawn = b"".join(token_bytes(10) for _ in range(BLOCK // 10))
    assert len(blocks) == 1 and drawn == blocks[0][:len(drawn)]  # one system call, no byte twice
    token_bytes(10)                                               # 4090 + 10 > 4096: a new block
    assert len(blocks) == 2
    assert token_bytes(BLOCK + 1) and len(blocks) == 3            # larger than a block: directly


def test_threads_never_get_the_same_bytes():
    seen, lock = [], threading.Lock()

    def draw():
        mine = [token_bytes(16) for _ in range(300)]
        with lock:
            seen.extend(mine)

    threads = [threading.Thread(target=draw) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == len(set(seen)) == 1200


def test_a_forked_child_never_hands_out_what_its_parent_will():
    token_bytes(10)  # the process has a block, most of it not yet given
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: what it draws next goes to the parent
        try:
            os.write(write, token_bytes(32))
        finally:
            os._exit(0)
    os.close(write)
    child = os.read(read, 32)
    os.waitpid(pid, 0)
    os.close(read)
    assert len(child) == 32 and child != token_bytes(32)


def test_references_and_ids_keep_their_shape():
    references = {random_reference() for _ in range(2000)}
    assert len(references) == 2000 and all(is_reference(r) for r in references)
    ids = {uuid4() for _ in range(2000)}
    assert len(ids) == 2000 and all(i.version == 4 and i.variant == uuid.RFC_4122 for i in ids)
