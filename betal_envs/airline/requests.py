"""Wording each planned request and computing its gold tool calls.

:func:`finish` turns a :class:`~betal_envs.airline.targets.Draft` into a
:class:`~betal_envs.airline.tasks.Request` against the gold database as it stands after the
earlier requests (so payments see the balances earlier requests left), then applies the
gold calls to it. The user's *cooperativeness* ``c`` decides what is said up front: each
detail is volunteered with probability ``c``, and the user remembers a reservation's id
(rather than only its trip) with probability ``0.25 + 0.75 c``.
"""

from __future__ import annotations

import random
from collections.abc import Callable

from betal_envs.airline import phrases, policy
from betal_envs.airline.arguments import ToolError
from betal_envs.airline.records import passenger_record
from betal_envs.airline.targets import Draft
from betal_envs.airline.tasks import (
    BAGGAGE,
    BOOK,
    CANCEL,
    CHANGE,
    COMPENSATION,
    INFO,
    PASSENGERS,
    TRANSFER,
    Request,
    ToolCall,
)
from betal_envs.airline.tools import booking_price, run_tool
from betal_envs.airline.world import Database, PaymentMethod, Reservation, User


class _Wording:
    """The random choices of what the user says up front."""

    def __init__(self, rng: random.Random, cooperativeness: float) -> None:
        self.rng = rng
        self.c = cooperativeness
        self.knows_id = rng.random() < 0.25 + 0.75 * cooperativeness

    def volunteer(self, details: dict[str, str]) -> tuple[str, ...]:
        return tuple(name for name in details if self.rng.random() < self.c)


def fee_method(user: User, amount: float, rng: random.Random) -> PaymentMethod:
    """A credit card, or a gift card that covers ``amount``, for a fee or fare difference."""
    gifts = [g for g in user.methods_of("gift_card") if (g.balance or 0) >= max(amount, 0)]
    return rng.choice(user.methods_of("credit_card") + gifts)


def booking_methods(user: User, rng: random.Random) -> list[PaymentMethod]:
    """How the user pays a booking: a certificate, then gift cards, the rest on one card."""
    certificates = [m for m in user.methods_of("certificate") if (m.balance or 0) > 0]
    gifts = [m for m in user.methods_of("gift_card") if (m.balance or 0) > 0]
    rng.shuffle(gifts)
    chosen = [rng.choice(certificates)] if certificates else []
    return [*chosen, *gifts, rng.choice(user.methods_of("credit_card"))]


def split_payment(methods: list[PaymentMethod], price: float) -> list[dict]:
    """Each method in turn pays what its balance allows; the last pays the rest.

    Methods left with nothing to pay are left out.
    """
    remaining = price
    payments = []
    for method in methods[:-1]:
        amount = min(method.balance or 0, remaining)
        if amount > 0:
            payments.append({"payment_id": method.payment_id, "amount": amount})
            remaining -= amount
    if remaining > 0:
        payments.append({"payment_id": methods[-1].payment_id, "amount": remaining})
    return payments


def _reservation_request(
    draft: Draft,
    reservation: Reservation,
    words: _Wording,
    core: str,
    details: dict[str, str],
    gold: tuple[ToolCall, ...] = (),
    answer: str | None = None,
) -> Request:
    """A request about an existing reservation; ``core`` has a ``{ref}`` placeholder."""
    details = {"reservation": phrases.reservation_detail(reservation, words.knows_id), **details}
    volunteered = words.volunteer(details)
    said = "reservation" in volunteered
    return Request(
        kind=draft.kind,
        forbidden=draft.forbidden,
        rule=draft.rule,
        core=core.format(ref=phrases.reference(reservation, words.knows_id, said)),
        core_full=core.format(ref=phrases.reference(reservation, words.knows_id, True)),
        details=details,
        volunteered=volunteered,
        gold=() if draft.forbidden else gold,
        answer=answer,
        reservation_id=reservation.reservation_id,
    )


def _cancel(draft: Draft, db: Database, user: User, words: _Wording) -> Request:
    reservation = db.reservations[draft.reservation_id]
    reason = draft.data["reason"]
    call = ToolCall(
        "cancel_reservation", {"reservation_id": reservation.reservation_id, "reason": reason}
    )
    details = {"reason": phrases.reason_detail(reason)}
    return _reservation_request(
        draft, reservation, words, "I want to cancel {ref}.", details, (call,)
    )


def _change(draft: Draft, db: Database, user: User, words: _Wording) -> Request:
    reservation = db.reservations[draft.reservation_id]
    number, date = reservation.segments[0].flight_number, draft.data["new_date"]
    new = db.flight(number, date)
    people = len(reservation.passengers)
    difference = (new.prices[reservation.cabin] - reservation.segments[0].price) * people
    method = fee_method(user, difference, words.rng)
    flights = [{"flight_number": number, "date": date}]
    arguments = {"reservation_id": reservation.reservation_id, "flights": flights}
    call = ToolCall("change_flights", {**arguments, "payment_id": method.payment_id})
    core = f"I want to move {{ref}} to {date}, on the same flight number."
    details = {"payment": phrases.payment_detail([method])}
    return _reservation_request(draft, reservation, words, core, details, (call,))


def _baggage(draft: Draft, db: Database, user: User, words: _Wording) -> Request:
    reservation = db.reservations[draft.reservation_id]
    change = draft.data["change"]
    total = reservation.total_bags + change
    people = len(reservation.passengers)
    nonfree = policy.nonfree_bags(user.tier, reservation.cabin, people, total)
    fee = policy.BAG_FEE * (nonfree - reservation.nonfree_bags)
    method = fee_method(user, fee, words.rng)
    call = ToolCall(
        "change_baggage",
        {
            "reservation_id": reservation.reservation_id,
            "total_bags": total,
            "nonfree_bags": nonfree,
            "payment_id": method.payment_id,
        },
    )
    bags = phrases.bags_words(abs(change))
    core = (
        f"I want to add {bags} to {{ref}}."
        if change > 0
        else f"I want to remove {bags} from {{ref}}."
    )
    details = {"payment": phrases.payment_detail([method])}
    return _reservation_request(draft, reservation, words, core, details, (call,))


def _passengers(draft: Draft, db: Database, user: User, words: _Wording) -> Request:
    reservation = db.reservations[draft.reservation_id]
    if draft.forbidden:
        core = f"I want to add a passenger to {{ref}}: {draft.data['add'].label()}."
        return _reservation_request(draft, reservation, words, core, {})
    index, new = draft.data["index"], draft.data["new"]
    people = list(reservation.passengers)
    details = {"passengers": phrases.passenger_change_detail(people[index], new)}
    people[index] = new
    call = ToolCall(
        "change_passengers",
        {
            "reservation_id": reservation.reservation_id,
            "passengers": [passenger_record(p) for p in people],
        },
    )
    core = "I need to correct the details of a passenger on {ref}."
    return _reservation_request(draft, reservation, words, core, details, (call,))


def _book(draft: Draft, db: Database, user: User, words: _Wording) -> Request:
    data = draft.data
    cabin, people, flights = data["cabin"], data["passengers"], data["flights"]
    nonfree = policy.nonfree_bags(user.tier, cabin, len(people), data["bags"])
    price = booking_price(flights, cabin, len(people), nonfree, data["insurance"])
    methods = booking_methods(user, words.rng)
    call = ToolCall(
        "book_reservation",
        {
            "user_id": user.user_id,
            "origin": data["origin"],
            "destination": data["destination"],
            "cabin": cabin,
            "flights": [{"flight_number": f.flight_number, "date": f.date} for f in flights],
            "passengers": [passenger_record(p) for p in people],
            "payment_methods": split_payment(methods, price),
            "total_bags": data["bags"],
            "nonfree_bags": nonfree,
            "insurance": data["insurance"],
        },
    )
    details = {
        "cabin": phrases.cabin_detail(cabin),
        "passengers": phrases.passengers_detail(people),
        "bags": phrases.bags_detail(data["bags"]),
        "insurance": phrases.insurance_detail(data["insurance"]),
        "payment": phrases.payment_detail(methods),
    }
    core = (
        f"I want to book a trip from {data['origin']} to {data['destination']} on "
        f"{data['date']}: the cheapest direct flight, or if there is none, the cheapest "
        "connection with one stop."
    )
    volunteered = words.volunteer(details)
    gold = () if draft.forbidden else (call,)
    return Request(draft.kind, draft.forbidden, draft.rule, core, core, details, volunteered, gold)


def _compensation(draft: Draft, db: Database, user: User, words: _Wording) -> Request:
    reservation = db.reservations[draft.reservation_id]
    amount = policy.compensation_amount(db, reservation)
    call = ToolCall(
        "issue_certificate", {"reservation_id": reservation.reservation_id, "amount": amount}
    )
    core = f"The flight of {{ref}} was {draft.data['claim']}, and I would like compensation."
    return _reservation_request(draft, reservation, words, core, {}, (call,))


def _info(draft: Draft, db: Database, user: User, words: _Wording) -> Request:
    reservation = db.reservations[draft.reservation_id]
    question = draft.data["question"]
    if question == "paid":
        core, answer = (
            "How much have I paid in total for {ref}?",
            str(policy.total_paid(reservation)),
        )
    elif question == "status":
        core = "What is the status of the flight of {ref}?"
        answer = db.flights_of(reservation)[0].status
    else:
        core = "How many free checked bags does {ref} include?"
        people = len(reservation.passengers)
        answer = str(policy.free_bags(user.tier, reservation.cabin, people))
    return _reservation_request(draft, reservation, words, core, {}, answer=answer)


def _transfer(draft: Draft, db: Database, user: User, words: _Wording) -> Request:
    need = draft.data["need"]
    call = ToolCall("transfer_to_human", {"summary": f"The user needs {need}."})
    core = f"I need {need}."
    return Request(draft.kind, False, draft.rule, core, core, {}, (), (call,))


_FINISHERS: dict[str, Callable[[Draft, Database, User, _Wording], Request]] = {
    CANCEL: _cancel,
    CHANGE: _change,
    BAGGAGE: _baggage,
    PASSENGERS: _passengers,
    BOOK: _book,
    COMPENSATION: _compensation,
    INFO: _info,
    TRANSFER: _transfer,
}


def finish(
    draft: Draft, db: Database, user_id: str, cooperativeness: float, rng: random.Random
) -> Request:
    """Word a drafted request and apply its gold calls to ``db`` (the gold database)."""
    words = _Wording(rng, cooperativeness)
    request = _FINISHERS[draft.kind](draft, db, db.users[user_id], words)
    for call in request.gold:
        if call.tool == "transfer_to_human":
            continue
        try:
            run_tool(db, call.tool, call.arguments)
        except ToolError as error:
            raise RuntimeError(f"a gold call of a {draft.kind} request failed: {error}") from error
    return request
