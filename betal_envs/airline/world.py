"""The airline's in-memory database and how a random one is generated.

The database holds three tables: users (with their membership tier and payment methods),
dated flights (one row per flight number and day, with seats and prices per cabin) and
reservations (passengers, flights, cabin, bags, insurance, payment history). Everything is
a plain dataclass, so databases compare with ``==``; :meth:`Database.copy` copies one much
faster than :func:`copy.deepcopy` would.

The world's clock stands still at :data:`NOW`: flights before it have departed, and "booked
within the last 24 hours" is measured from it. Money is in whole dollars.
"""

from __future__ import annotations

import dataclasses
import hashlib
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

#: The moment the conversation takes place.
NOW = "2025-06-10 12:00"
TODAY = NOW[:10]
#: The days on which flights operate: four days in the past, today and ten days ahead.
DATES: tuple[str, ...] = tuple(f"2025-06-{day:02d}" for day in range(6, 21))
CABINS: tuple[str, ...] = ("basic_economy", "economy", "business")
TIERS: tuple[str, ...] = ("regular", "silver", "gold")
PAYMENT_KINDS: tuple[str, ...] = ("credit_card", "gift_card", "certificate")
#: Flight statuses; only ``scheduled`` and ``delayed`` flights can still be booked.
STATUSES: tuple[str, ...] = ("scheduled", "delayed", "cancelled", "departed")
BOOKABLE: tuple[str, ...] = ("scheduled", "delayed")
AIRPORTS: tuple[str, ...] = (
    "ANC", "BNA", "CLT", "DEN", "ELP", "FLL", "GEG", "HNL", "IAH", "JAX", "LGA", "MCI",
    "OKC", "PVD", "RNO", "SMF", "TUS",
)  # fmt: skip
FIRST_NAMES: tuple[str, ...] = (
    "Ada", "Bruno", "Chen", "Dalia", "Emeka", "Farah", "Goran", "Hana", "Ivo", "Jun",
    "Kofi", "Lena", "Mateo", "Nia", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tara",
)  # fmt: skip
LAST_NAMES: tuple[str, ...] = (
    "Abara", "Berg", "Costa", "Dubois", "Eriksen", "Fontaine", "Gupta", "Haddad",
    "Ito", "Jensen", "Kowalski", "Lindqvist", "Moreau", "Novak", "Okafor", "Petrov",
)  # fmt: skip

#: Price of one checked bag beyond the free allowance.
BAG_FEE = 50
#: Price of travel insurance per passenger.
INSURANCE_FEE = 30
#: Free checked bags per passenger, by membership tier and cabin.
FREE_BAGS: dict[str, dict[str, int]] = {
    "regular": {"basic_economy": 0, "economy": 1, "business": 2},
    "silver": {"basic_economy": 1, "economy": 2, "business": 3},
    "gold": {"basic_economy": 2, "economy": 3, "business": 4},
}
#: Fare of each cabin relative to basic economy.
CABIN_FACTORS: dict[str, float] = {"basic_economy": 1.0, "economy": 1.7, "business": 4.2}


@dataclass
class PaymentMethod:
    """A way to pay: credit cards have no balance; gift cards and certificates do."""

    payment_id: str
    kind: str
    balance: int | None = None

    @property
    def last_digits(self) -> str:
        return self.payment_id[-4:]


@dataclass
class Passenger:
    first_name: str
    last_name: str
    birth_date: str

    def label(self) -> str:
        """How people write a passenger: ``Ada Berg, born 1990-04-12``."""
        return f"{self.first_name} {self.last_name}, born {self.birth_date}"


@dataclass
class User:
    user_id: str
    first_name: str
    last_name: str
    birth_date: str
    tier: str
    payment_methods: dict[str, PaymentMethod] = field(default_factory=dict)
    reservation_ids: list[str] = field(default_factory=list)

    def methods_of(self, kind: str) -> list[PaymentMethod]:
        return [m for m in self.payment_methods.values() if m.kind == kind]

    def as_passenger(self) -> Passenger:
        return Passenger(self.first_name, self.last_name, self.birth_date)


@dataclass
class Flight:
    """One flight number on one day."""

    flight_number: str
    origin: str
    destination: str
    date: str
    departs: str
    arrives: str
    status: str
    seats: dict[str, int]
    prices: dict[str, int]

    @property
    def key(self) -> str:
        return flight_key(self.flight_number, self.date)

    def bookable(self, cabin: str, passengers: int) -> bool:
        """Whether ``passengers`` more people can fly in ``cabin``."""
        return self.status in BOOKABLE and self.seats.get(cabin, 0) >= passengers


@dataclass
class Segment:
    """A flight of a reservation and the price per passenger paid for it."""

    flight_number: str
    date: str
    price: int


@dataclass
class Payment:
    """One entry of a reservation's payment history; refunds are negative."""

    payment_id: str
    amount: int


@dataclass
class Reservation:
    reservation_id: str
    user_id: str
    origin: str
    destination: str
    cabin: str
    segments: list[Segment]
    passengers: list[Passenger]
    total_bags: int
    nonfree_bags: int
    insurance: bool
    created_at: str
    payments: list[Payment] = field(default_factory=list)
    status: str = "active"
    cancel_reason: str | None = None
    compensated: bool = False

    @property
    def date(self) -> str:
        """The day the trip starts."""
        return self.segments[0].date

    def describe_trip(self) -> str:
        return f"trip from {self.origin} to {self.destination} on {self.date}"


@dataclass
class Database:
    users: dict[str, User] = field(default_factory=dict)
    flights: dict[str, Flight] = field(default_factory=dict)
    reservations: dict[str, Reservation] = field(default_factory=dict)

    def flight(self, number: str, date: str) -> Flight | None:
        return self.flights.get(flight_key(number, date))

    def flights_of(self, reservation: Reservation) -> list[Flight]:
        found = (self.flight(s.flight_number, s.date) for s in reservation.segments)
        return [f for f in found if f is not None]

    def copy(self) -> Database:
        """An independent copy (prices are never changed, so flights share them)."""
        return Database(
            users={k: _copy_user(u) for k, u in self.users.items()},
            flights={
                k: dataclasses.replace(f, seats=dict(f.seats)) for k, f in self.flights.items()
            },
            reservations={k: copy_reservation(r) for k, r in self.reservations.items()},
        )


def _copy_user(user: User) -> User:
    methods = {k: dataclasses.replace(m) for k, m in user.payment_methods.items()}
    return dataclasses.replace(
        user, payment_methods=methods, reservation_ids=list(user.reservation_ids)
    )


def copy_reservation(reservation: Reservation) -> Reservation:
    return dataclasses.replace(
        reservation,
        segments=[dataclasses.replace(s) for s in reservation.segments],
        passengers=[dataclasses.replace(p) for p in reservation.passengers],
        payments=[dataclasses.replace(p) for p in reservation.payments],
    )


def flight_key(number: str, date: str) -> str:
    return f"{number}/{date}"


def stable_id(prefix: str, *parts: object, letters: bool = False) -> str:
    """An id derived from content, so the same action always creates the same id.

    New reservations and certificates get such ids: the gold database and the student's
    database then agree whatever order the student acted in.
    """
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    if letters:
        return "".join(chr(ord("A") + b % 26) for b in digest[:6])
    return f"{prefix}{int.from_bytes(digest[:4], 'big') % 9_000_000 + 1_000_000}"


def hours_before_now(hours: float) -> str:
    moment = datetime.strptime(NOW, "%Y-%m-%d %H:%M") - timedelta(hours=hours)
    return moment.strftime("%Y-%m-%d %H:%M")


def days_between(first: str, second: str) -> int:
    return (datetime.fromisoformat(second) - datetime.fromisoformat(first)).days


class WorldBuilder:
    """Generates users, flights and reservations into a database from one random stream.

    Args:
        rng: the instance's random generator; all randomness goes through it.
        payment_complexity: 0 (one credit card) .. 3 (cards, gift cards and certificates).
    """

    def __init__(self, rng: random.Random, payment_complexity: int) -> None:
        self.rng = rng
        self.payment_complexity = payment_complexity
        self.db = Database()
        #: Trips (origin, destination, first day) of each user, kept unique per user so that
        #: a user can name a reservation by its trip.
        self.trips: dict[str, set[tuple[str, str, str]]] = {}

    # -- flights --------------------------------------------------------------------------

    def add_flights(self, n_flights: int) -> None:
        """``n_flights`` flight numbers, each flying every day of :data:`DATES`."""
        rng = self.rng
        airports = rng.sample(AIRPORTS, min(len(AIRPORTS), 4 + n_flights // 4))
        for number in rng.sample(range(100, 1000), n_flights):
            origin, destination = rng.sample(airports, 2)
            hour, duration = rng.randint(5, 17), rng.randint(1, 6)
            minute = rng.choice((0, 15, 30, 45))
            departs, arrives = f"{hour:02d}:{minute:02d}", f"{hour + duration:02d}:{minute:02d}"
            basic = rng.randint(60, 180)
            for date in DATES:
                factor = rng.uniform(0.8, 1.3)
                prices = {cabin: round(basic * factor * k) for cabin, k in CABIN_FACTORS.items()}
                seats = {
                    "basic_economy": rng.randint(0, 12),
                    "economy": rng.randint(0, 20),
                    "business": rng.randint(0, 8),
                }
                flight = Flight(
                    f"BT{number}", origin, destination, date, departs, arrives,
                    self._status(date, departs), seats, prices,
                )  # fmt: skip
                self.db.flights[flight.key] = flight

    def _status(self, date: str, departs: str) -> str:
        if f"{date} {departs}" <= NOW:
            return "departed"
        roll = self.rng.random()
        return "cancelled" if roll < 0.05 else "delayed" if roll < 0.15 else "scheduled"

    def flights_where(self, statuses: Iterable[str], *, future: bool | None = None) -> list[Flight]:
        """Flights with one of ``statuses``; ``future`` keeps only days after (or before) today."""
        wanted = set(statuses)
        found = [f for f in self.db.flights.values() if f.status in wanted]
        if future is not None:
            found = [f for f in found if (f.date > TODAY) == future]
        return found

    # -- users ----------------------------------------------------------------------------

    def add_user(self) -> User:
        rng = self.rng
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        user_id = f"{first.lower()}_{last.lower()}_{rng.randint(1000, 9999)}"
        while user_id in self.db.users:
            user_id = f"{first.lower()}_{last.lower()}_{rng.randint(1000, 9999)}"
        user = User(user_id, first, last, self.birth_date(), rng.choice(TIERS))
        cards, gifts, certificates = [(1, 0, 0), (1, 1, 0), (2, 1, 1), (2, 2, 2)][
            self.payment_complexity
        ]
        for _ in range(cards):
            self.add_payment_method(user, "credit_card")
        for _ in range(gifts):
            self.add_payment_method(user, "gift_card", rng.randint(10, 60) * 10)
        for _ in range(certificates):
            self.add_payment_method(user, "certificate", rng.choice((50, 100, 150, 200, 250)))
        self.db.users[user_id] = user
        self.trips[user_id] = set()
        return user

    def add_payment_method(self, user: User, kind: str, balance: int | None = None) -> str:
        """A new method whose last four digits differ from the user's others of its kind."""
        taken = {m.last_digits for m in user.methods_of(kind)}
        payment_id = f"{kind}_{self.rng.randint(1_000_000, 9_999_999)}"
        while payment_id in user.payment_methods or payment_id[-4:] in taken:
            payment_id = f"{kind}_{self.rng.randint(1_000_000, 9_999_999)}"
        user.payment_methods[payment_id] = PaymentMethod(payment_id, kind, balance)
        return payment_id

    def birth_date(self) -> str:
        rng = self.rng
        return f"{rng.randint(1950, 2012)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"

    def person(self) -> Passenger:
        rng = self.rng
        return Passenger(rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES), self.birth_date())

    # -- reservations ---------------------------------------------------------------------

    def trip_free(self, user: User, flight: Flight) -> bool:
        """Whether ``user`` has no reservation for this flight's trip (route and day) yet."""
        return (flight.origin, flight.destination, flight.date) not in self.trips[user.user_id]

    def add_reservation(
        self,
        user: User,
        flight: Flight,
        cabin: str,
        *,
        passengers: int = 1,
        hours_ago: float | None = None,
        insurance: bool | None = None,
        bags: int | None = None,
    ) -> Reservation:
        """Book ``flight`` for ``user`` as if it had happened ``hours_ago`` hours before now.

        Seats are forced to exist, and the price is paid with the user's first credit card, so
        generated history never drains gift cards or certificates. Without ``hours_ago`` the
        booking lies between 30 hours and five weeks before the flight (and before now).
        """
        rng = self.rng
        reservation_id = stable_id("", rng.random(), letters=True)
        while reservation_id in self.db.reservations:
            reservation_id = stable_id("", rng.random(), letters=True)
        people = [user.as_passenger()] + [self.person() for _ in range(passengers - 1)]
        insured = rng.random() < 0.3 if insurance is None else insurance
        total_bags = rng.randint(0, passengers) if bags is None else bags
        nonfree = max(0, total_bags - FREE_BAGS[user.tier][cabin] * passengers)
        if hours_ago is None:
            latest = min(flight.date, TODAY)
            hours_ago = 24 * days_between(latest, TODAY) + 30 + rng.random() * 24 * 35
        price = flight.prices[cabin]
        total = price * passengers + INSURANCE_FEE * passengers * insured + BAG_FEE * nonfree
        card = user.methods_of("credit_card")[0].payment_id
        reservation = Reservation(
            reservation_id, user.user_id, flight.origin, flight.destination, cabin,
            [Segment(flight.flight_number, flight.date, price)], people, total_bags, nonfree,
            insured, hours_before_now(hours_ago), [Payment(card, total)],
        )  # fmt: skip
        flight.seats[cabin] = max(flight.seats[cabin], passengers) - passengers
        self.db.reservations[reservation_id] = reservation
        user.reservation_ids.append(reservation_id)
        self.trips[user.user_id].add((flight.origin, flight.destination, flight.date))
        return reservation
