"""How ``refnet up`` and ``refnet seed-demo`` say that a step failed: one line naming the step,
the error's kind and the first line of its message (the password of any URI in it hidden), and
what to do. Never a traceback."""

import re
from contextlib import contextmanager

LONGEST_DETAIL = 200
PASSWORD_IN_URI = re.compile(r"(\b[a-zA-Z][\w+.-]*://)[^/@\s]*@")


class StepFailed(Exception):
    """A step failed; ``str()`` is the one line to print."""


def detail(error: BaseException) -> str:
    """``Kind: first line of the message``, without a password, at most about 200 characters."""
    lines = str(error).strip().splitlines()
    text = PASSWORD_IN_URI.sub(r"\1***@", lines[0].strip() if lines else "")
    if len(text) > LONGEST_DETAIL:
        text = text[:LONGEST_DETAIL - 3] + "..."
    kind = type(error).__name__
    return f"{kind}: {text}" if text else kind


def one_line(step: str, todo: str, error: BaseException | None = None) -> str:
    """``<step> failed (<detail>): <todo>``, on one line."""
    said = f"{step} failed ({detail(error)})" if error is not None else f"{step} failed"
    return " ".join(f"{said}: {todo}".split())


@contextmanager
def step(what: str, todo: str):
    """Run a step; any error in it becomes :class:`StepFailed` with its one line."""
    try:
        yield
    except StepFailed:
        raise
    except Exception as exc:
        raise StepFailed(one_line(what, todo, exc)) from exc
