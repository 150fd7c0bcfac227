"""Answers a gateway worker keeps and serves many times unchanged (its availability and status
copies).

A module of its own, importing nothing of the gateway: the copies (``gateway.availability``)
and the API's ``respond`` both use it, and a copy that imported ``gateway.resources`` would
bring every endpoint module into any process that uses the copy alone."""

from typing import Any, Callable


class KeptAnswer(dict):
    """A JSON answer a worker serves many times unchanged (its availability and status copies):
    encoded once, when first served, and the same bytes after. Read it, never change it."""

    __slots__ = ("_encoded", "_forms")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._encoded: bytes | None = None
        self._forms: dict | None = None

    def encoded(self, render: Callable[[Any], bytes]) -> bytes:
        """The answer's body as ``render`` writes it (the app's JSON response), written once."""
        if self._encoded is None:
            self._encoded = render(self)
        return self._encoded

    def form(self, key, build: Callable[[], "KeptAnswer"]) -> "KeptAnswer":
        """The answer as ``build`` presents it for ``key`` (a status answer in one language),
        built once and kept with the answer, so it is encoded once too."""
        forms = self._forms
        if forms is None:
            forms = self._forms = {}
        presented = forms.get(key)
        if presented is None:  # two threads may both build it: the same answer, one kept
            presented = forms[key] = build()
        return presented
