"""The airline's written policy, and the same rules as code.

The text in :data:`POLICY` is what the student is given at reset. The functions below decide
the same questions on a database: each returns a :class:`Verdict` naming the rule that
settles the case. The task generator uses them to know which requests must be refused, the
environment uses them to flag violations when a student's tool call breaks the policy, and
the scripted student uses them as its own rulebook.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from betal_envs.airline.world import (
    BAG_FEE,
    FREE_BAGS,
    INSURANCE_FEE,
    NOW,
    Database,
    Reservation,
    User,
)

#: Reasons a user may give for cancelling; insurance covers the first two.
COVERED_REASONS: tuple[str, ...] = ("health", "weather")
CANCEL_REASONS: tuple[str, ...] = (
    *COVERED_REASONS,
    "change_of_plans",
    "airline_cancelled",
    "other",
)
#: Most passengers a new booking may carry.
MAX_PASSENGERS = 5
#: Certificate value per passenger for a cancelled or a delayed flight.
COMPENSATION: dict[str, int] = {"cancelled": 100, "delayed": 50}
#: The tools that change the database.
CHANGING_TOOLS: tuple[str, ...] = (
    "book_reservation",
    "cancel_reservation",
    "change_flights",
    "change_baggage",
    "change_passengers",
    "issue_certificate",
)


def _allowance_text(tier: str) -> str:
    bags = FREE_BAGS[tier]
    return ", ".join(f"{bags[cabin]} in {cabin.replace('_', ' ')}" for cabin in bags)


POLICY = f"""\
# Airline customer-service policy

The current time is {NOW}. You help one user per conversation. You may only act through the
tools, and you only tell the user facts you read from the tools or from this policy.

## Identify, look up, confirm
- Ask for the user id before anything else and look the user up; act only on that user's own
  reservations and payment methods.
- Before any tool call that changes the database (booking, cancelling, changing flights,
  bags or passengers, issuing a certificate), describe the change and ask the user to confirm.
  Act only after the user answers yes. Each change needs its own confirmation.
- Refuse a request this policy does not allow: say that you cannot do it and why. Do not do
  part of it or something else instead.
- Transfer to a human agent only when the user asks for something no tool can do (for
  example special assistance, pets or complaints). Handle everything else first.
- When the user has nothing more to ask, end the conversation.

## Cancelling a reservation
- A reservation whose flight has already departed cannot be cancelled.
- Otherwise it may be cancelled if at least one of these holds: it was booked less than 24
  hours ago; the airline cancelled one of its flights; its cabin is business; or it has travel
  insurance and the reason is health or weather. Record the reason the user gives (one of
  {", ".join(CANCEL_REASONS)}).
- The refund is everything paid for the reservation, returned to the methods it came from.

## Changing flights
- Basic economy reservations cannot change flights. Other reservations may move to flights
  with the same origin and destination in the same cabin, as long as no flight of the
  reservation has departed.
- The fare difference for all passengers is charged to, or refunded to, one credit card or
  gift card of the user (never a certificate).

## Bags
- Free checked bags per passenger: regular members {_allowance_text("regular")}; silver
  members {_allowance_text("silver")}; gold members {_allowance_text("gold")}.
- Bags can be added but never removed. Each bag beyond the free allowance of all passengers
  is a non-free bag and costs ${BAG_FEE}, paid with a credit card or gift card (never a
  certificate). Record exactly that number of non-free bags.

## Passengers
- Passenger names and birth dates may be changed; the number of passengers may not.

## Booking
- At most {MAX_PASSENGERS} passengers. The price is the cabin fare of every flight times the
  passengers, plus ${INSURANCE_FEE} per passenger for travel insurance if wanted, plus
  ${BAG_FEE} per non-free bag.
- Pay with the user's own methods: at most one certificate and at most one credit card, and
  any number of gift cards. A gift card or certificate cannot pay more than its balance;
  whatever a certificate does not use is lost.

## Compensation
- Only when the user asks. If a flight of the reservation was cancelled or delayed by the
  airline and the user is a silver or gold member, or has travel insurance, or flies business,
  issue one certificate of ${COMPENSATION["cancelled"]} per passenger for a cancelled flight or
  ${COMPENSATION["delayed"]} per passenger for a delayed one. Never for the same reservation
  twice; never otherwise.
"""


@dataclass(frozen=True)
class Verdict:
    """Whether the policy allows an action, and the rule that decides."""

    allowed: bool
    rule: str


ALLOWED = Verdict(True, "allowed")


def free_bags(tier: str, cabin: str, passengers: int) -> int:
    """The free checked-bag allowance of a whole reservation."""
    return FREE_BAGS[tier][cabin] * passengers


def nonfree_bags(tier: str, cabin: str, passengers: int, total_bags: int) -> int:
    return max(0, total_bags - free_bags(tier, cabin, passengers))


def hours_since_booking(reservation: Reservation) -> float:
    booked = datetime.strptime(reservation.created_at, "%Y-%m-%d %H:%M")
    return (datetime.strptime(NOW, "%Y-%m-%d %H:%M") - booked).total_seconds() / 3600


def has_departed(db: Database, reservation: Reservation) -> bool:
    return any(flight.status == "departed" for flight in db.flights_of(reservation))


def disruption(db: Database, reservation: Reservation) -> str | None:
    """``"cancelled"`` or ``"delayed"`` when the airline disrupted a flight, else ``None``."""
    statuses = {flight.status for flight in db.flights_of(reservation)}
    return next((s for s in ("cancelled", "delayed") if s in statuses), None)


def total_paid(reservation: Reservation) -> int:
    """The net amount paid for a reservation (refunds subtract)."""
    return sum(payment.amount for payment in reservation.payments)


def compensation_amount(db: Database, reservation: Reservation) -> int:
    """The certificate the policy grants for this reservation, or 0."""
    user = db.users[reservation.user_id]
    kind = disruption(db, reservation)
    eligible = user.tier != "regular" or reservation.insurance or reservation.cabin == "business"
    if kind is None or not eligible or reservation.compensated:
        return 0
    return COMPENSATION[kind] * len(reservation.passengers)


# -- verdicts on requested changes ----------------------------------------------------------


def cancel_verdict(db: Database, reservation: Reservation, reason: str) -> Verdict:
    if has_departed(db, reservation):
        return Verdict(False, "a reservation whose flight has departed cannot be cancelled")
    if hours_since_booking(reservation) < 24:
        return ALLOWED
    if disruption(db, reservation) == "cancelled":
        return ALLOWED
    if reservation.cabin == "business":
        return ALLOWED
    if reservation.insurance and reason in COVERED_REASONS:
        return ALLOWED
    return Verdict(
        False,
        "cancellation needs a booking less than 24 hours old, an airline-cancelled flight, a "
        "business cabin, or insurance with a health or weather reason",
    )


def change_flights_verdict(
    db: Database, reservation: Reservation, payment_kind: str | None
) -> Verdict:
    if reservation.cabin == "basic_economy":
        return Verdict(False, "basic economy reservations cannot change flights")
    if has_departed(db, reservation):
        return Verdict(False, "flights cannot change once a flight of the reservation departed")
    if payment_kind == "certificate":
        return Verdict(False, "a fare difference cannot be paid with a certificate")
    return ALLOWED


def bags_verdict(
    user: User, reservation: Reservation, total_bags: int, nonfree: int, payment_kind: str | None
) -> Verdict:
    if total_bags < reservation.total_bags:
        return Verdict(False, "bags can be added but never removed")
    passengers = len(reservation.passengers)
    expected = nonfree_bags(user.tier, reservation.cabin, passengers, total_bags)
    if nonfree != expected:
        return Verdict(
            False, f"{total_bags} bags here mean {expected} non-free bags, not {nonfree}"
        )
    if nonfree > reservation.nonfree_bags and payment_kind == "certificate":
        return Verdict(False, "extra bags cannot be paid with a certificate")
    return ALLOWED


def passengers_verdict(reservation: Reservation, count: int) -> Verdict:
    if count != len(reservation.passengers):
        return Verdict(False, "the number of passengers of a reservation cannot change")
    return ALLOWED


def booking_verdict(
    user: User, cabin: str, passengers: int, total_bags: int, nonfree: int, kinds: list[str]
) -> Verdict:
    """The verdict on a booking, given the kinds of the payment methods it uses."""
    if passengers > MAX_PASSENGERS:
        return Verdict(False, f"a booking carries at most {MAX_PASSENGERS} passengers")
    expected = nonfree_bags(user.tier, cabin, passengers, total_bags)
    if nonfree != expected:
        return Verdict(
            False, f"{total_bags} bags here mean {expected} non-free bags, not {nonfree}"
        )
    if kinds.count("certificate") > 1:
        return Verdict(False, "a booking may use at most one certificate")
    if kinds.count("credit_card") > 1:
        return Verdict(False, "a booking may use at most one credit card")
    return ALLOWED


def compensation_verdict(db: Database, reservation: Reservation, amount: float) -> Verdict:
    entitled = compensation_amount(db, reservation)
    if entitled == 0:
        return Verdict(
            False,
            "compensation needs an airline-disrupted flight and a silver or gold member, "
            "insurance or business cabin, once per reservation",
        )
    if abs(amount - entitled) > 0.005:
        return Verdict(
            False, f"the compensation for this reservation is ${entitled}, not ${amount:g}"
        )
    return ALLOWED


def check_call(db: Database, tool: str, arguments: Mapping[str, Any], user_id: str) -> Verdict:
    """The policy's verdict on a database-changing tool call about to run on ``db``.

    Args:
        db: the database before the call.
        tool: the tool's name; read-only tools are always allowed.
        arguments: the call's arguments, already accepted by the tool's own validation.
        user_id: the user the conversation is with.
    """
    if tool not in CHANGING_TOOLS:
        return ALLOWED
    reservation = db.reservations.get(str(arguments.get("reservation_id", "")))
    owner = reservation.user_id if reservation is not None else arguments.get("user_id")
    if owner != user_id:
        return Verdict(False, "act only on the reservations and payment methods of the user")
    user = db.users[user_id]
    if tool == "book_reservation":
        methods = [user.payment_methods[p["payment_id"]] for p in arguments["payment_methods"]]
        return booking_verdict(
            user,
            arguments["cabin"],
            len(arguments["passengers"]),
            arguments["total_bags"],
            arguments["nonfree_bags"],
            [m.kind for m in methods],
        )
    if reservation is None:
        return ALLOWED
    kind = _kind(user, arguments)
    if tool == "cancel_reservation":
        return cancel_verdict(db, reservation, arguments["reason"])
    if tool == "change_flights":
        return change_flights_verdict(db, reservation, kind)
    if tool == "change_baggage":
        total, nonfree = arguments["total_bags"], arguments["nonfree_bags"]
        return bags_verdict(user, reservation, total, nonfree, kind)
    if tool == "change_passengers":
        return passengers_verdict(reservation, len(arguments["passengers"]))
    return compensation_verdict(db, reservation, float(arguments["amount"]))


def _kind(user: User, arguments: Mapping[str, Any]) -> str | None:
    method = user.payment_methods.get(str(arguments.get("payment_id")))
    return method.kind if method is not None else None
