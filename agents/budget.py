"""Spending limits for runs that call paid servers: tokens, estimated cost and wall time.

A :class:`Budget` is made active for a stretch of code with :func:`spending`; every chat
request made inside it, by a designer or by a student, asks :meth:`Budget.admit` first and
reports what it spent with :meth:`Budget.settle`. Once a limit is reached, admission raises
:class:`BudgetExhausted` and the caller (the tuning loop, ``evaluate``) stops cleanly.

Requests in flight at once could each pass a nearly spent budget. To keep the overshoot to
about one request, a request is held back while the ones already in flight would, at the
average cost of a request so far, use up what is left; it goes ahead or is refused once they
have settled. Replies served from the cache cost nothing and are not counted.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from betal_envs.errors import BetalError, ConfigError


class BudgetExhausted(BetalError):
    """A spending limit was reached; ``reason`` says which, with the numbers."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Budget:
    """Limits and what has been spent against them (``None``: no limit).

    Attributes:
        max_tokens: prompt plus completion tokens of requests actually sent.
        max_cost: estimated cost in dollars, from the price table.
        max_wall_s: seconds since the budget started (plus ``spent_wall_s`` carried over).
        tokens, cost: spent so far (a resumed run starts from what its trials spent).
    """

    max_tokens: int | None = None
    max_cost: float | None = None
    max_wall_s: float | None = None
    tokens: int = 0
    cost: float = 0.0
    spent_wall_s: float = 0.0
    requests: int = 0
    _started: float = field(default_factory=time.monotonic, repr=False)
    _in_flight: int = field(default=0, repr=False)
    _settled: asyncio.Event | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        for name in ("max_tokens", "max_cost", "max_wall_s"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or value <= 0):
                raise ConfigError(f"{name}={value!r} must be a positive number or left unset.")

    @property
    def limited(self) -> bool:
        return any(v is not None for v in (self.max_tokens, self.max_cost, self.max_wall_s))

    def wall_s(self) -> float:
        return self.spent_wall_s + time.monotonic() - self._started

    def exhausted(self) -> str | None:
        """Why the budget is spent, or ``None`` while something is left."""
        if self.max_tokens is not None and self.tokens >= self.max_tokens:
            return f"token budget reached ({self.tokens} of {self.max_tokens} tokens spent)"
        if self.max_cost is not None and self.cost >= self.max_cost:
            return f"cost budget reached (${self.cost:.4f} of ${self.max_cost:.4f} spent)"
        if self.max_wall_s is not None and self.wall_s() >= self.max_wall_s:
            return f"time budget reached ({self.wall_s():.1f} s of {self.max_wall_s:g} s)"
        return None

    def check(self) -> None:
        """Raise :class:`BudgetExhausted` if a limit has been reached."""
        reason = self.exhausted()
        if reason:
            raise BudgetExhausted(reason)

    def _would_overrun(self) -> bool:
        """Whether the requests in flight, at the mean cost so far, would spend the rest.

        Before any request has settled there is no mean, so one goes first alone.
        """
        if not self._in_flight or (self.max_tokens is None and self.max_cost is None):
            return False
        if not self.requests:
            return True
        ahead = (self._in_flight + 1) / self.requests
        over_tokens = self.max_tokens is not None and self.tokens * (1 + ahead) > self.max_tokens
        over_cost = self.max_cost is not None and self.cost * (1 + ahead) > self.max_cost
        return over_tokens or over_cost

    async def admit(self) -> None:
        """Wait until a request may be sent; raise :class:`BudgetExhausted` if none may."""
        while True:
            self.check()
            if not self._would_overrun():
                self._in_flight += 1
                return
            self._settled = self._settled or asyncio.Event()
            self._settled.clear()
            await self._settled.wait()

    def settle(self, tokens: int, cost: float) -> None:
        """Record what an admitted request spent (zero for one that failed)."""
        self._in_flight = max(0, self._in_flight - 1)
        self.tokens += int(tokens)
        self.cost += float(cost)
        self.requests += 1
        if self._settled is not None:
            self._settled.set()
            if not self._in_flight:
                # An event binds to the loop it is awaited on; the next loop makes its own.
                self._settled = None


_ACTIVE: contextvars.ContextVar[Budget | None] = contextvars.ContextVar("budget", default=None)


def active_budget() -> Budget | None:
    """The budget chat requests are charged to here, if any."""
    return _ACTIVE.get()


@contextlib.contextmanager
def spending(budget: Budget | None) -> Iterator[Budget | None]:
    """Charge every chat request made inside the block to ``budget`` (``None``: no limit)."""
    token = _ACTIVE.set(budget)
    try:
        yield budget
    finally:
        _ACTIVE.reset(token)
