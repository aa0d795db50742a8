"""What each tool does to the database.

:func:`run_tool` checks a call's arguments against the tool's schema, then runs it. Every
tool checks everything it needs before it changes anything and answers a call it cannot
carry out with a :class:`~betal_envs.airline.arguments.ToolError` whose message tells the
agent what to fix; the environment also restores the database should anything else go
wrong, so a failed call never leaves a trace. Tools enforce what the world makes impossible
(unknown ids, full flights, empty gift cards); what the policy forbids they carry out, and
the environment records the violation.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise
from typing import Any

from betal_envs.airline.arguments import ToolError, calculate, schema_problems, shown
from betal_envs.airline.records import (
    flight_record,
    method_record,
    passenger_from_record,
    reservation_record,
    user_record,
)
from betal_envs.airline.schemas import PARAMETERS, TOOL_NAMES
from betal_envs.airline.world import (
    BAG_FEE,
    BOOKABLE,
    DATES,
    INSURANCE_FEE,
    NOW,
    Database,
    Flight,
    Passenger,
    Payment,
    PaymentMethod,
    Reservation,
    Segment,
    User,
    stable_id,
)
from betal_envs.errors import did_you_mean

Arguments = dict[str, Any]
#: Most one-stop connections a search lists.
MAX_CONNECTIONS = 20


def _whole(amount: float) -> int | float:
    """Dollars as an ``int`` when whole, so ``100.0`` and ``100`` store the same."""
    rounded = round(float(amount), 2)
    return int(rounded) if rounded.is_integer() else rounded


def _user(db: Database, user_id: str) -> User:
    if user_id not in db.users:
        raise ToolError(f"no user has the id {shown(user_id)}; ask the user for their user id")
    return db.users[user_id]


def _reservation(db: Database, reservation_id: str, *, active: bool = True) -> Reservation:
    reservation = db.reservations.get(reservation_id)
    if reservation is None:
        raise ToolError(
            f"no reservation has the id {shown(reservation_id)}; the user's reservation ids are "
            "listed by get_user"
        )
    if active and reservation.status != "active":
        raise ToolError(f"reservation {reservation_id} is {reservation.status}; it cannot change")
    return reservation


def _method(user: User, payment_id: str) -> PaymentMethod:
    if payment_id not in user.payment_methods:
        known = ", ".join(user.payment_methods) or "none"
        raise ToolError(
            f"{user.user_id} has no payment method {shown(payment_id)}; their methods: {known}"
        )
    return user.payment_methods[payment_id]


def _itinerary(
    db: Database, legs: list[Arguments], origin: str, destination: str, cabin: str, seats: int
) -> list[Flight]:
    """The flights of a new itinerary, checked to connect and to have ``seats`` free."""
    flights = []
    for leg in legs:
        flight = db.flight(leg["flight_number"], leg["date"])
        if flight is None:
            raise ToolError(
                f"there is no flight {leg['flight_number']} on {leg['date']}; search flights first"
            )
        if flight.status not in BOOKABLE:
            raise ToolError(f"flight {flight.key} is {flight.status} and cannot be booked")
        if flight.seats[cabin] < seats:
            raise ToolError(
                f"flight {flight.key} has {flight.seats[cabin]} free {cabin} seats; "
                f"{seats} are needed"
            )
        flights.append(flight)
    if flights[0].origin != origin or flights[-1].destination != destination:
        raise ToolError(
            f"the flights go from {flights[0].origin} to {flights[-1].destination}, not from "
            f"{origin} to {destination}"
        )
    for first, second in pairwise(flights):
        if first.destination != second.origin or (second.date, second.departs) <= (
            first.date,
            first.arrives,
        ):
            raise ToolError(f"flight {second.key} does not connect with {first.key}")
    if len({f.key for f in flights}) != len(flights):
        raise ToolError("the same flight is listed twice")
    return flights


def _pay(method: PaymentMethod, amount: float) -> None:
    """Check a method can pay ``amount`` (negative: a refund); the caller then charges it."""
    if method.kind != "credit_card" and amount > 0 and amount > (method.balance or 0) + 1e-9:
        raise ToolError(
            f"{method.payment_id} has a balance of ${method.balance}, less than ${_whole(amount)}"
        )


def _charge(user: User, method: PaymentMethod, amount: float) -> None:
    if method.kind == "credit_card":
        return
    if method.kind == "certificate" and amount > 0:
        del user.payment_methods[method.payment_id]
        return
    method.balance = _whole((method.balance or 0) - amount)


# -- read-only tools ------------------------------------------------------------------------


def get_user(db: Database, args: Arguments) -> Any:
    return user_record(_user(db, args["user_id"]))


def get_reservation(db: Database, args: Arguments) -> Any:
    return reservation_record(db, _reservation(db, args["reservation_id"], active=False))


def _day(date: str) -> str:
    if date not in DATES:
        raise ToolError(f"flights are listed from {DATES[0]} to {DATES[-1]}; {date} is outside")
    return date


def search_direct_flights(db: Database, args: Arguments) -> Any:
    date = _day(args["date"])
    found = [
        f
        for f in db.flights.values()
        if f.date == date and f.origin == args["origin"] and f.destination == args["destination"]
    ]
    return [flight_record(f) for f in sorted(found, key=lambda f: (f.departs, f.flight_number))]


def one_stop_connections(db: Database, origin: str, destination: str, date: str) -> list:
    """Pairs of flights on ``date`` from ``origin`` to ``destination`` through one stop."""
    day = [f for f in db.flights.values() if f.date == date]
    pairs = [
        (first, second)
        for first in day
        if first.origin == origin and first.destination != destination
        for second in day
        if second.origin == first.destination
        and second.destination == destination
        and second.departs > first.arrives
    ]
    pairs.sort(key=lambda p: (p[0].departs, p[0].flight_number, p[1].flight_number))
    return pairs[:MAX_CONNECTIONS]


def search_one_stop_flights(db: Database, args: Arguments) -> Any:
    date = _day(args["date"])
    pairs = one_stop_connections(db, args["origin"], args["destination"], date)
    return [{"flights": [flight_record(a), flight_record(b)]} for a, b in pairs]


def calculate_tool(db: Database, args: Arguments) -> Any:
    return {"result": _whole(calculate(args["expression"]))}


# -- tools that change the database ---------------------------------------------------------


def booking_price(flights: list[Flight], cabin: str, people: int, nonfree: int, insured: bool):
    """What a booking costs: fares, insurance and non-free bags."""
    fares = sum(f.prices[cabin] for f in flights) * people
    return fares + INSURANCE_FEE * people * insured + BAG_FEE * nonfree


def book_reservation(db: Database, args: Arguments) -> Any:
    user = _user(db, args["user_id"])
    cabin, people = args["cabin"], [passenger_from_record(p) for p in args["passengers"]]
    flights = _itinerary(
        db, args["flights"], args["origin"], args["destination"], cabin, len(people)
    )
    total, nonfree = args["total_bags"], args["nonfree_bags"]
    if nonfree > total:
        raise ToolError(f"nonfree_bags ({nonfree}) cannot exceed total_bags ({total})")
    price = booking_price(flights, cabin, len(people), nonfree, args["insurance"])
    payments = sorted(args["payment_methods"], key=lambda p: p["payment_id"])
    ids = [p["payment_id"] for p in payments]
    if len(set(ids)) != len(ids):
        raise ToolError("a payment method is listed twice; give each method once")
    methods = [_method(user, pid) for pid in ids]
    for method, payment in zip(methods, payments, strict=True):
        if payment["amount"] <= 0:
            raise ToolError(f"the amount for {method.payment_id} must be positive")
        _pay(method, payment["amount"])
    paid = sum(p["amount"] for p in payments)
    if abs(paid - price) > 0.005:
        raise ToolError(
            f"the payments add up to ${_whole(paid)} but the booking costs ${price} "
            f"(fares, ${INSURANCE_FEE} insurance per passenger if wanted, ${BAG_FEE} per "
            "non-free bag)"
        )

    keys = [f.key for f in flights]
    salt = 0
    reservation_id = stable_id(
        "", user.user_id, keys, [p.label() for p in people], cabin, letters=True
    )
    while reservation_id in db.reservations:
        salt += 1
        reservation_id = stable_id("", user.user_id, keys, cabin, salt, letters=True)
    reservation = Reservation(
        reservation_id, user.user_id, args["origin"], args["destination"], cabin,
        [Segment(f.flight_number, f.date, f.prices[cabin]) for f in flights], people, total,
        nonfree, args["insurance"], NOW,
        [Payment(p["payment_id"], _whole(p["amount"])) for p in payments],
    )  # fmt: skip
    for method, payment in zip(methods, payments, strict=True):
        _charge(user, method, payment["amount"])
    for flight in flights:
        flight.seats[cabin] -= len(people)
    db.reservations[reservation_id] = reservation
    user.reservation_ids.append(reservation_id)
    return reservation_record(db, reservation)


def cancel_reservation(db: Database, args: Arguments) -> Any:
    reservation = _reservation(db, args["reservation_id"])
    user = db.users[reservation.user_id]
    net: dict[str, int | float] = {}
    for payment in reservation.payments:
        net[payment.payment_id] = net.get(payment.payment_id, 0) + payment.amount
    for payment_id, amount in net.items():
        if amount > 0:
            reservation.payments.append(Payment(payment_id, _whole(-amount)))
            method = user.payment_methods.get(payment_id)
            if method is not None and method.kind == "gift_card":
                method.balance = _whole((method.balance or 0) + amount)
    for flight in db.flights_of(reservation):
        flight.seats[reservation.cabin] += len(reservation.passengers)
    reservation.status = "cancelled"
    reservation.cancel_reason = args["reason"]
    return reservation_record(db, reservation)


def change_flights(db: Database, args: Arguments) -> Any:
    reservation = _reservation(db, args["reservation_id"])
    user = db.users[reservation.user_id]
    method = _method(user, args["payment_id"])
    people = len(reservation.passengers)
    old = db.flights_of(reservation)
    legs = args["flights"]
    if [(s.flight_number, s.date) for s in reservation.segments] == [
        (leg["flight_number"], leg["date"]) for leg in legs
    ]:
        raise ToolError("the reservation is already on these flights; nothing to change")
    new = _itinerary(
        db, legs, reservation.origin, reservation.destination, reservation.cabin, people
    )
    difference = (
        sum(f.prices[reservation.cabin] for f in new) - sum(s.price for s in reservation.segments)
    ) * people
    _pay(method, difference)

    for flight in old:
        flight.seats[reservation.cabin] += people
    for flight in new:
        flight.seats[reservation.cabin] -= people
    reservation.segments = [
        Segment(f.flight_number, f.date, f.prices[reservation.cabin]) for f in new
    ]
    if difference:
        reservation.payments.append(Payment(method.payment_id, _whole(difference)))
        _charge(user, method, difference)
    return reservation_record(db, reservation)


def change_baggage(db: Database, args: Arguments) -> Any:
    reservation = _reservation(db, args["reservation_id"])
    user = db.users[reservation.user_id]
    method = _method(user, args["payment_id"])
    total, nonfree = args["total_bags"], args["nonfree_bags"]
    if nonfree > total:
        raise ToolError(f"nonfree_bags ({nonfree}) cannot exceed total_bags ({total})")
    if (total, nonfree) == (reservation.total_bags, reservation.nonfree_bags):
        raise ToolError("the reservation already has these bags; nothing to change")
    fee = BAG_FEE * (nonfree - reservation.nonfree_bags)
    _pay(method, fee)
    reservation.total_bags, reservation.nonfree_bags = total, nonfree
    if fee:
        reservation.payments.append(Payment(method.payment_id, fee))
        _charge(user, method, fee)
    return reservation_record(db, reservation)


def change_passengers(db: Database, args: Arguments) -> Any:
    reservation = _reservation(db, args["reservation_id"])
    people: list[Passenger] = [passenger_from_record(p) for p in args["passengers"]]
    if people == reservation.passengers:
        raise ToolError("these are already the passengers; nothing to change")
    reservation.passengers = people
    return reservation_record(db, reservation)


def issue_certificate(db: Database, args: Arguments) -> Any:
    reservation = _reservation(db, args["reservation_id"], active=False)
    amount = args["amount"]
    if not 0 < amount <= 2000:
        raise ToolError(f"a certificate is worth $1 to $2000, not ${amount}")
    user = db.users[reservation.user_id]
    salt = 0
    payment_id = stable_id("certificate_", reservation.reservation_id, _whole(amount))
    while payment_id in user.payment_methods:
        salt += 1
        payment_id = stable_id("certificate_", reservation.reservation_id, amount, salt)
    certificate = PaymentMethod(payment_id, "certificate", _whole(amount))
    user.payment_methods[payment_id] = certificate
    reservation.compensated = True
    return method_record(certificate)


def transfer_to_human(db: Database, args: Arguments) -> Any:
    return "The conversation is now with a human agent."


def end_conversation(db: Database, args: Arguments) -> Any:
    return "The conversation has ended."


IMPLEMENTATIONS: dict[str, Callable[[Database, Arguments], Any]] = {
    "get_user": get_user,
    "get_reservation": get_reservation,
    "search_direct_flights": search_direct_flights,
    "search_one_stop_flights": search_one_stop_flights,
    "book_reservation": book_reservation,
    "cancel_reservation": cancel_reservation,
    "change_flights": change_flights,
    "change_baggage": change_baggage,
    "change_passengers": change_passengers,
    "issue_certificate": issue_certificate,
    "transfer_to_human": transfer_to_human,
    "calculate": calculate_tool,
    "end_conversation": end_conversation,
}


def check_arguments(tool: Any, arguments: Any) -> None:
    """Raise :class:`ToolError` unless ``tool`` is known and ``arguments`` fit its schema."""
    if not isinstance(tool, str) or tool not in IMPLEMENTATIONS:
        hint = did_you_mean(tool, TOOL_NAMES) if isinstance(tool, str) else ""
        raise ToolError(f"unknown tool {shown(tool)}.{hint} Tools: {', '.join(TOOL_NAMES)}.")
    problems = schema_problems(PARAMETERS[tool], arguments)
    if problems:
        raise ToolError(f"bad arguments for {tool}: " + "; ".join(problems))


def run_tool(db: Database, tool: Any, arguments: Any) -> Any:
    """Check and run one call on ``db``; the JSON-ready result, or :class:`ToolError`.

    A failed call may have changed ``db`` only if a tool has a bug; the environment guards
    against that by running changing tools on a copy it keeps only on success.
    """
    check_arguments(tool, arguments)
    return IMPLEMENTATIONS[tool](db, arguments)
