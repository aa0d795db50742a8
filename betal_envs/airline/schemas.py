"""The tools the agent may call, as JSON Schemas in the OpenAI ``tools`` format.

:data:`TOOLS` is what the environment shows the student (in the observation and in the reset
info) and what :func:`~betal_envs.airline.arguments.schema_problems` checks arguments
against. The implementations live in :mod:`betal_envs.airline.tools`.
"""

from __future__ import annotations

import copy
from typing import Any

from betal_envs.airline.policy import CANCEL_REASONS
from betal_envs.airline.world import CABINS

_DATE = {
    "type": "string",
    "pattern": r"\d{4}-\d{2}-\d{2}",
    "description": "a date written YYYY-MM-DD, such as 2025-06-14",
}
_AIRPORT = {
    "type": "string",
    "pattern": "[A-Z]{3}",
    "description": "a three-letter airport code such as DEN",
}
_RESERVATION_ID = {"type": "string", "description": "the six-letter reservation id"}
_PAYMENT_ID = {"type": "string", "description": "a payment method id of the user"}
_CABIN = {"type": "string", "enum": list(CABINS), "description": "the cabin"}
_FLIGHTS = {
    "type": "array",
    "minItems": 1,
    "description": "the flights in travel order",
    "items": {
        "type": "object",
        "properties": {"flight_number": {"type": "string"}, "date": _DATE},
        "required": ["flight_number", "date"],
    },
}
_PASSENGERS = {
    "type": "array",
    "minItems": 1,
    "description": "every passenger",
    "items": {
        "type": "object",
        "properties": {
            "first_name": {"type": "string"},
            "last_name": {"type": "string"},
            "birth_date": _DATE,
        },
        "required": ["first_name", "last_name", "birth_date"],
    },
}
_BAGS = {"type": "integer", "minimum": 0, "maximum": 30}


def _tool(name: str, description: str, properties: dict[str, Any], *required: str) -> dict:
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {
                "type": "object",
                "properties": properties,
                "required": list(required),
            },
        },
    }


TOOLS: tuple[dict[str, Any], ...] = (
    _tool(
        "get_user",
        "Look up a user: name, membership tier, payment methods (with balances) and the ids "
        "of their reservations.",
        {"user_id": {"type": "string", "description": "the user id, such as ada_berg_1234"}},
        "user_id",
    ),
    _tool(
        "get_reservation",
        "Look up a reservation: flights with their status, cabin, passengers, bags, "
        "insurance, booking time and payments.",
        {"reservation_id": _RESERVATION_ID},
        "reservation_id",
    ),
    _tool(
        "search_direct_flights",
        "List the direct flights from one airport to another on a day, with status, free "
        "seats and price per cabin.",
        {"origin": _AIRPORT, "destination": _AIRPORT, "date": _DATE},
        "origin",
        "destination",
        "date",
    ),
    _tool(
        "search_one_stop_flights",
        "List connections with exactly one stop on a day: pairs of flights where the second "
        "leaves the stop after the first arrives.",
        {"origin": _AIRPORT, "destination": _AIRPORT, "date": _DATE},
        "origin",
        "destination",
        "date",
    ),
    _tool(
        "book_reservation",
        "Book a new reservation. The payments must add up to the price exactly.",
        {
            "user_id": {"type": "string", "description": "the user who books"},
            "origin": _AIRPORT,
            "destination": _AIRPORT,
            "cabin": _CABIN,
            "flights": _FLIGHTS,
            "passengers": _PASSENGERS,
            "payment_methods": {
                "type": "array",
                "minItems": 1,
                "description": "how the price is split over the user's payment methods",
                "items": {
                    "type": "object",
                    "properties": {"payment_id": _PAYMENT_ID, "amount": {"type": "number"}},
                    "required": ["payment_id", "amount"],
                },
            },
            "total_bags": {**_BAGS, "description": "checked bags in all"},
            "nonfree_bags": {**_BAGS, "description": "checked bags beyond the free allowance"},
            "insurance": {"type": "boolean", "description": "whether to add travel insurance"},
        },
        "user_id",
        "origin",
        "destination",
        "cabin",
        "flights",
        "passengers",
        "payment_methods",
        "total_bags",
        "nonfree_bags",
        "insurance",
    ),
    _tool(
        "cancel_reservation",
        "Cancel a whole reservation and refund what was paid to the methods it came from.",
        {
            "reservation_id": _RESERVATION_ID,
            "reason": {
                "type": "string",
                "enum": list(CANCEL_REASONS),
                "description": "why the user cancels",
            },
        },
        "reservation_id",
        "reason",
    ),
    _tool(
        "change_flights",
        "Move a reservation to other flights in the same cabin. The fare difference for all "
        "passengers is charged (or refunded) to the given payment method.",
        {"reservation_id": _RESERVATION_ID, "flights": _FLIGHTS, "payment_id": _PAYMENT_ID},
        "reservation_id",
        "flights",
        "payment_id",
    ),
    _tool(
        "change_baggage",
        "Set a reservation's checked bags. Each non-free bag added costs the bag fee, paid "
        "with the given payment method.",
        {
            "reservation_id": _RESERVATION_ID,
            "total_bags": {**_BAGS, "description": "checked bags in all, after the change"},
            "nonfree_bags": {**_BAGS, "description": "of those, bags beyond the allowance"},
            "payment_id": _PAYMENT_ID,
        },
        "reservation_id",
        "total_bags",
        "nonfree_bags",
        "payment_id",
    ),
    _tool(
        "change_passengers",
        "Replace the passenger list of a reservation.",
        {"reservation_id": _RESERVATION_ID, "passengers": _PASSENGERS},
        "reservation_id",
        "passengers",
    ),
    _tool(
        "issue_certificate",
        "Issue a travel certificate to the owner of a reservation as compensation.",
        {
            "reservation_id": _RESERVATION_ID,
            "amount": {"type": "number", "description": "the certificate's value in dollars"},
        },
        "reservation_id",
        "amount",
    ),
    _tool(
        "transfer_to_human",
        "Hand the conversation to a human agent; this ends your part of it.",
        {"summary": {"type": "string", "description": "what the user needs, in one sentence"}},
        "summary",
    ),
    _tool(
        "calculate",
        "Evaluate arithmetic such as (150 + 2 * 50) * 0.5.",
        {"expression": {"type": "string", "description": "numbers, + - * / and parentheses"}},
        "expression",
    ),
    _tool(
        "end_conversation",
        "End the conversation once the user has nothing more to ask.",
        {},
    ),
)

TOOL_NAMES: tuple[str, ...] = tuple(t["function"]["name"] for t in TOOLS)
PARAMETERS: dict[str, dict[str, Any]] = {
    t["function"]["name"]: t["function"]["parameters"] for t in TOOLS
}


def tool_schemas() -> list[dict[str, Any]]:
    """A fresh copy of :data:`TOOLS` that a caller may change."""
    return copy.deepcopy(list(TOOLS))
