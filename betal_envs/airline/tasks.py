"""What an airline instance is made of: requests, their gold tool calls, the instance.

A user comes with one or several *requests* (the hidden goal). Each request is stated by a
core sentence and *details* the user gives up front or when asked; it carries the gold tool
calls that fulfil it (none when the policy forbids it or when it is a question) and, for a
question, the answer the agent must state. :mod:`betal_envs.airline.generator` builds them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from betal_envs.airline.world import Database

#: Kinds of request a user may have.
CANCEL, CHANGE, BAGGAGE, PASSENGERS, BOOK, COMPENSATION, INFO, TRANSFER = (
    "cancel",
    "change_flight",
    "baggage",
    "passengers",
    "book",
    "compensation",
    "info",
    "transfer",
)
REQUEST_KINDS: tuple[str, ...] = (
    CANCEL,
    CHANGE,
    BAGGAGE,
    PASSENGERS,
    BOOK,
    COMPENSATION,
    INFO,
    TRANSFER,
)
#: Kinds with a variant the policy forbids.
FORBIDDABLE: frozenset[str] = frozenset({CANCEL, CHANGE, BAGGAGE, PASSENGERS, BOOK, COMPENSATION})
#: Users in the database; the first is the one in the conversation.
N_USERS = 4
#: Detail names, in the order a user lists them when restating a request.
DETAILS: tuple[str, ...] = (
    "reservation",
    "reason",
    "cabin",
    "passengers",
    "bags",
    "insurance",
    "payment",
)


@dataclass(frozen=True)
class ToolCall:
    """One tool call: what the gold actions are made of."""

    tool: str
    arguments: dict[str, Any]

    def action(self) -> str:
        """The call as the JSON action the environment reads."""
        return json.dumps({"tool": self.tool, "arguments": self.arguments})


@dataclass
class Request:
    """One thing the user wants, with everything the simulated user may say about it.

    Attributes:
        kind: one of :data:`REQUEST_KINDS`.
        forbidden: whether the policy requires refusing it.
        rule: the policy rule that forbids it, or ``"allowed"``.
        core: the sentence stating it, as said when the details are held back.
        core_full: the same sentence naming the reservation, for restating it.
        details: detail name -> the sentence that gives it.
        volunteered: the details said together with the core sentence.
        gold: the tool calls that carry it out (none when forbidden or a question).
        answer: what the agent must tell the user (questions), else ``None``.
        reservation_id: the reservation it is about, if any.
    """

    kind: str
    forbidden: bool
    rule: str
    core: str
    core_full: str
    details: dict[str, str]
    volunteered: tuple[str, ...]
    gold: tuple[ToolCall, ...] = ()
    answer: str | None = None
    reservation_id: str | None = None

    def statement(self) -> str:
        """The core sentence and the volunteered details (the core names the reservation)."""
        said = [self.details[d] for d in self.volunteered if d != "reservation"]
        return " ".join([self.core, *said])

    def restatement(self) -> str:
        """The request with every detail, for a user asked to repeat itself."""
        return " ".join([self.core_full, *self.details.values()])


@dataclass
class AirlineInstance:
    """One conversation to hold.

    Attributes:
        db: the database at the start (the environment plays on a copy).
        gold_db: the database after the gold actions.
        user_id: the user in the conversation.
        requests: the user's requests, in the order the user brings them up.
        all_at_once: whether the user states every request in the first message.
        user_id_volunteered: whether the first message gives the user id.
        opening: the user's first message.
    """

    db: Database
    gold_db: Database
    user_id: str
    requests: tuple[Request, ...]
    all_at_once: bool
    user_id_volunteered: bool
    opening: str = field(default="")

    @property
    def gold_actions(self) -> list[ToolCall]:
        return [call for request in self.requests for call in request.gold]

    @property
    def needs_transfer(self) -> bool:
        return any(request.kind == TRANSFER for request in self.requests)
