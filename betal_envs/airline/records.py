"""Rows of the database as JSON records, and back.

Tool results show users, reservations and flights as the records below; the ``*_from_record``
functions rebuild the rows from them, so a student that reads tool results (the scripted
student does) can apply the policy's functions to what it has seen. The two directions live
together so they cannot drift apart.
"""

from __future__ import annotations

from typing import Any

from betal_envs.airline.policy import total_paid
from betal_envs.airline.world import (
    Database,
    Flight,
    Passenger,
    Payment,
    PaymentMethod,
    Reservation,
    Segment,
    User,
)

Record = dict[str, Any]


def method_record(method: PaymentMethod) -> Record:
    record: Record = {"payment_id": method.payment_id, "kind": method.kind}
    if method.balance is not None:
        record["balance"] = method.balance
    return record


def user_record(user: User) -> Record:
    return {
        "user_id": user.user_id,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "birth_date": user.birth_date,
        "membership": user.tier,
        "payment_methods": [method_record(m) for m in user.payment_methods.values()],
        "reservations": list(user.reservation_ids),
    }


def passenger_record(passenger: Passenger) -> Record:
    return {
        "first_name": passenger.first_name,
        "last_name": passenger.last_name,
        "birth_date": passenger.birth_date,
    }


def flight_record(flight: Flight) -> Record:
    return {
        "flight_number": flight.flight_number,
        "origin": flight.origin,
        "destination": flight.destination,
        "date": flight.date,
        "departs": flight.departs,
        "arrives": flight.arrives,
        "status": flight.status,
        "seats": dict(flight.seats),
        "prices": dict(flight.prices),
    }


def reservation_record(db: Database, reservation: Reservation) -> Record:
    flights = []
    for segment in reservation.segments:
        flight = db.flight(segment.flight_number, segment.date)
        flights.append(
            {
                "flight_number": segment.flight_number,
                "date": segment.date,
                "origin": flight.origin if flight else None,
                "destination": flight.destination if flight else None,
                "departs": flight.departs if flight else None,
                "arrives": flight.arrives if flight else None,
                "status": flight.status if flight else "unknown",
                "price": segment.price,
            }
        )
    return {
        "reservation_id": reservation.reservation_id,
        "user_id": reservation.user_id,
        "status": reservation.status,
        "origin": reservation.origin,
        "destination": reservation.destination,
        "cabin": reservation.cabin,
        "flights": flights,
        "passengers": [passenger_record(p) for p in reservation.passengers],
        "total_bags": reservation.total_bags,
        "nonfree_bags": reservation.nonfree_bags,
        "insurance": reservation.insurance,
        "created_at": reservation.created_at,
        "payments": [
            {"payment_id": p.payment_id, "amount": p.amount} for p in reservation.payments
        ],
        "total_paid": total_paid(reservation),
        "compensated": reservation.compensated,
        "cancel_reason": reservation.cancel_reason,
    }


# -- back from records ----------------------------------------------------------------------


def user_from_record(record: Record) -> User:
    methods = {
        m["payment_id"]: PaymentMethod(m["payment_id"], m["kind"], m.get("balance"))
        for m in record["payment_methods"]
    }
    return User(
        record["user_id"],
        record["first_name"],
        record["last_name"],
        record["birth_date"],
        record["membership"],
        methods,
        list(record["reservations"]),
    )


def passenger_from_record(record: Record) -> Passenger:
    return Passenger(record["first_name"], record["last_name"], record["birth_date"])


def flight_from_record(record: Record) -> Flight:
    return Flight(
        record["flight_number"],
        record["origin"],
        record["destination"],
        record["date"],
        record["departs"],
        record["arrives"],
        record["status"],
        dict(record.get("seats", {})),
        dict(record.get("prices", {})),
    )


def reservation_from_record(record: Record) -> tuple[Reservation, list[Flight]]:
    """The reservation and the (partial: no seats or prices) flights its record shows."""
    reservation = Reservation(
        record["reservation_id"],
        record["user_id"],
        record["origin"],
        record["destination"],
        record["cabin"],
        [Segment(f["flight_number"], f["date"], f["price"]) for f in record["flights"]],
        [passenger_from_record(p) for p in record["passengers"]],
        record["total_bags"],
        record["nonfree_bags"],
        record["insurance"],
        record["created_at"],
        [Payment(p["payment_id"], p["amount"]) for p in record["payments"]],
        record["status"],
        record.get("cancel_reason"),
        record["compensated"],
    )
    flights = [flight_from_record({**f, "seats": {}, "prices": {}}) for f in record["flights"]]
    return reservation, flights
