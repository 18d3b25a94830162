"""Fault injection for tests: make the local hub fail chosen requests.

A :class:`FaultPlan` holds rules; each request is checked against them in
order and the first rule that matches (and still has failures left) fires.

- ``plan.fail("POST", r"^/api/models", status=503)``: answer 503 instead of
  handling the request (nothing changes on the hub).
- ``plan.fail("POST", r"^/api/task-templates$", status=500, when="after")``:
  handle the request (the template IS created), then answer 500 instead: the
  response is lost, as when a proxy fails after the backend did its work.
- ``plan.drop("PUT", r"^/storage/part/", after_bytes=1_000_000)``: read
  that many bytes of the body, then reset the connection without answering.
- ``plan.drop(..., when="after")``: handle the request, then reset the
  connection without answering.
- ``plan.delay("PUT", r"^/storage/part/", seconds=2)``: wait before handling
  the request (``when="after"``: handle it, then wait before answering).

``times`` is how many matching requests fail (then the rule is spent);
``skip`` lets that many matching requests through first. ``path`` is a
regular expression searched in the request's path (without the query string:
tell POST from PUT /api/models by ``method``). ``method`` is an HTTP method
or ``"*"``.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Literal

When = Literal["before", "after"]


@dataclass
class FaultRule:
    method: str
    path: str
    status: int | None  # None: drop the connection
    times: int = 1
    skip: int = 0
    after_bytes: int = 0
    when: When = "before"
    retry_after: int | None = None
    delay: float = 0.0  # seconds; a delay rule neither fails nor drops
    matched: int = 0  # matching requests seen, skipped ones included
    fired: int = 0
    _pattern: re.Pattern[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._pattern = re.compile(self.path)
        self.method = self.method.upper()

    @property
    def is_drop(self) -> bool:
        return self.status is None and not self.delay

    @property
    def label(self) -> str:
        """What the rule does, as the request log and ``FaultPlan.fired`` show it."""
        if self.delay:
            action = f"delay {self.delay:g} s"
        else:
            action = "drop" if self.is_drop else f"status {self.status}"
        return action + (" after handling" if self.when == "after" else "")

    @property
    def spent(self) -> bool:
        return self.fired >= self.times

    def matches(self, method: str, path: str) -> bool:
        return (self.method in ("*", method.upper())) and bool(self._pattern.search(path))


@dataclass(frozen=True)
class FiredFault:
    method: str
    path: str
    action: str  # "status 503", "drop", "status 500 after handling", ...


class FaultPlan:
    """Thread-safe list of fault rules; safe to change while the hub runs."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._fired: list[FiredFault] = []

    def fail(
        self,
        method: str,
        path: str,
        status: int = 503,
        *,
        times: int = 1,
        skip: int = 0,
        when: When = "before",
        retry_after: int | None = None,
    ) -> FaultRule:
        if not 400 <= status <= 599:
            raise ValueError("a failure status must be 4xx or 5xx")
        rule = FaultRule(method, path, status, times, skip, 0, when, retry_after)
        with self._lock:
            self._rules.append(rule)
        return rule

    def drop(
        self,
        method: str,
        path: str,
        *,
        after_bytes: int = 0,
        times: int = 1,
        skip: int = 0,
        when: When = "before",
    ) -> FaultRule:
        rule = FaultRule(method, path, None, times, skip, after_bytes, when)
        with self._lock:
            self._rules.append(rule)
        return rule

    def delay(
        self,
        method: str,
        path: str,
        *,
        seconds: float,
        times: int = 1,
        skip: int = 0,
        when: When = "before",
    ) -> FaultRule:
        if seconds <= 0:
            raise ValueError("a delay must be positive")
        rule = FaultRule(method, path, None, times, skip, 0, when, delay=seconds)
        with self._lock:
            self._rules.append(rule)
        return rule

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()
            self._fired.clear()

    @property
    def rules(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    @property
    def fired(self) -> list[FiredFault]:
        """Every fault that fired, in order."""
        with self._lock:
            return list(self._fired)

    def pending(self) -> list[FaultRule]:
        """Rules that still have failures left (a test can assert this is empty)."""
        with self._lock:
            return [rule for rule in self._rules if not rule.spent]

    def take(self, method: str, path: str) -> FaultRule | None:
        """The rule that fires for this request, if any (counts it as fired)."""
        with self._lock:
            for rule in self._rules:
                if rule.spent or not rule.matches(method, path):
                    continue
                rule.matched += 1
                if rule.matched <= rule.skip:
                    continue
                rule.fired += 1
                self._fired.append(FiredFault(method.upper(), path, rule.label))
                return rule
        return None
