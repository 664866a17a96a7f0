"""The one shape of a refusal: a code, its parameters, and a message translated when it is read."""
from __future__ import annotations


class Refusal(Exception):
    """A request the rules refuse. Subclasses set ``MESSAGES`` (code → lazy message with %(params)s)."""

    MESSAGES: dict = {}

    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code = code
        self.params = params

    @property
    def message(self) -> str:
        return str(self.MESSAGES[self.code]) % {k: str(v) for k, v in self.params.items()}

    def __str__(self) -> str:
        return self.message
