"""The reservations requests are about, built so the policy allows or forbids as planned.

:meth:`Targets.select` makes, for one planned request, the reservation (or for a booking,
the itinerary) it concerns and the random choices behind it, returned as a :class:`Draft`.
The policy's own functions then confirm that the request is allowed, or forbidden, as
planned; a choice that comes out otherwise is drawn again.

Two invariants keep the gold computable in any order of requests: every reservation of the
user has a trip (route and first day) of its own, so the user can name it by its trip; and
no flight serves two requests (a target's flights, a new day's flight, every option of a
booking are *claimed*), so no request changes the seats or prices another one relies on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from betal_envs.airline import policy
from betal_envs.airline.phrases import HUMAN_NEEDS
from betal_envs.airline.tasks import (
    BAGGAGE,
    BOOK,
    CANCEL,
    CHANGE,
    COMPENSATION,
    INFO,
    PASSENGERS,
    TRANSFER,
)
from betal_envs.airline.tools import one_stop_connections
from betal_envs.airline.world import (
    BOOKABLE,
    CABINS,
    DATES,
    FIRST_NAMES,
    LAST_NAMES,
    STATUSES,
    TODAY,
    Flight,
    Passenger,
    Reservation,
    User,
    WorldBuilder,
)

_ATTEMPTS = 200
_NOT_AIRLINE = ("health", "weather", "change_of_plans", "other")


class _Redraw(Exception):
    """Internal: this draw cannot make the planned request; draw again."""


@dataclass
class Draft:
    """A planned request with its target; the wording and the gold come later."""

    kind: str
    forbidden: bool
    reservation_id: str | None = None
    rule: str = "allowed"
    data: dict[str, Any] = field(default_factory=dict)


class Targets:
    """Builds targets into ``builder``'s database for ``user``'s requests."""

    def __init__(self, builder: WorldBuilder, user: User) -> None:
        self.builder = builder
        self.user = user
        self.rng = builder.rng
        #: Keys of flights some request relies on; later targets and distractors avoid them.
        self.claimed: set[str] = set()

    # -- helpers --------------------------------------------------------------------------

    def flight(
        self, statuses: Sequence[str], *, future: bool | None = True, user: User | None = None
    ) -> Flight:
        """A random flight with one of ``statuses`` on a trip ``user`` has not booked yet.

        When no flight is disrupted as asked, a scheduled future one is made so.
        """
        user = user or self.user
        found = [
            f for f in self.builder.flights_where(statuses, future=future)
            if self.builder.trip_free(user, f) and f.key not in self.claimed
        ]  # fmt: skip
        if not found and set(statuses) <= {"delayed", "cancelled"}:
            spare = [
                f for f in self.builder.flights_where(("scheduled",), future=True)
                if self.builder.trip_free(user, f) and f.key not in self.claimed
            ]  # fmt: skip
            if spare:
                chosen = self.rng.choice(spare)
                chosen.status = self.rng.choice(list(statuses))
                return chosen
        if not found:
            raise _Redraw
        return self.rng.choice(found)

    def book(self, flight: Flight, cabin: str, **kwargs: Any) -> Reservation:
        """A target reservation of the user on ``flight``, which it claims."""
        self.claimed.add(flight.key)
        return self.builder.add_reservation(self.user, flight, cabin, **kwargs)

    def _cabin(self, *choices: str) -> str:
        return self.rng.choice(choices or CABINS)

    def _people(self) -> int:
        return 1 if self.rng.random() < 0.6 else self.rng.randint(2, 3)

    # -- the user's other reservations ----------------------------------------------------

    def background(self, user: User) -> None:
        """A random reservation of ``user`` on any flight, past or future."""
        try:
            flight = self.flight(STATUSES, future=None, user=user)
        except _Redraw:
            return
        self.builder.add_reservation(user, flight, self._cabin(), passengers=self._people())

    def distractor(self, reservation_ids: Sequence[str]) -> None:
        """A reservation on the same route as one of the targets, on another day."""
        db = self.builder.db
        pool = [db.reservations[r] for r in reservation_ids] or [
            db.reservations[r] for r in self.user.reservation_ids
        ]
        if not pool:
            return
        model = self.rng.choice(pool)
        number = model.segments[0].flight_number
        days = [
            f for f in (db.flight(number, date) for date in DATES)
            if f is not None and self.builder.trip_free(self.user, f) and f.key not in self.claimed
        ]  # fmt: skip
        if days:
            flight = self.rng.choice(days)
            self.builder.add_reservation(
                self.user, flight, model.cabin, passengers=len(model.passengers)
            )

    # -- targets --------------------------------------------------------------------------

    def select(self, kind: str, forbidden: bool) -> Draft:
        """The target of a request of ``kind``, forbidden by the policy or not as asked."""
        make = {
            CANCEL: self._cancel,
            CHANGE: self._change,
            BAGGAGE: self._baggage,
            PASSENGERS: self._passengers,
            BOOK: self._book,
            COMPENSATION: self._compensation,
            INFO: self._info,
            TRANSFER: self._transfer,
        }[kind]
        for _ in range(_ATTEMPTS):
            try:
                return make(Draft(kind, forbidden))
            except _Redraw:
                continue
        raise RuntimeError(
            f"could not build a {'forbidden' if forbidden else 'allowed'} {kind} request "
            f"in {_ATTEMPTS} draws; the world has too few flights for it"
        )

    def _cancel(self, draft: Draft) -> Draft:
        rng, db = self.rng, self.builder.db
        variant = rng.choice(
            ("departed", "uncovered")
            if draft.forbidden
            else ("recent", "business", "airline", "insured")
        )
        reason = rng.choice(_NOT_AIRLINE)
        if variant == "departed":
            reservation = self.book(self.flight(("departed",), future=False), self._cabin())
        elif variant == "uncovered":
            insured = rng.random() < 0.5
            reason = rng.choice(("change_of_plans", "other")) if insured else reason
            flight = self.flight(BOOKABLE)
            reservation = self.book(
                flight, self._cabin("basic_economy", "economy"), insurance=insured
            )
        elif variant == "recent":
            flight = self.flight(BOOKABLE)
            hours = rng.uniform(1, 22)
            reservation = self.book(
                flight, self._cabin("basic_economy", "economy"), hours_ago=hours
            )
        elif variant == "business":
            reservation = self.book(self.flight(BOOKABLE), "business")
        elif variant == "airline":
            reservation = self.book(self.flight(("cancelled",)), self._cabin())
            reason = "airline_cancelled"
        else:
            flight = self.flight(BOOKABLE)
            reservation = self.book(flight, self._cabin("basic_economy", "economy"), insurance=True)
            reason = rng.choice(policy.COVERED_REASONS)
        verdict = policy.cancel_verdict(db, reservation, reason)
        return self._checked(draft, reservation, verdict, reason=reason)

    def _change(self, draft: Draft) -> Draft:
        rng, db = self.rng, self.builder.db
        variant = rng.choice(("basic", "departed")) if draft.forbidden else "open"
        if variant == "departed":
            flight = self.flight(("departed",), future=False)
            cabin = self._cabin("economy", "business")
        else:
            flight = self.flight(BOOKABLE)
            cabin = "basic_economy" if variant == "basic" else self._cabin("economy", "business")
        people = self._people()
        days = [
            f for f in (db.flight(flight.flight_number, date) for date in DATES)
            if f is not None and f.date > TODAY and f.date != flight.date
            and f.bookable(cabin, people) and self.builder.trip_free(self.user, f)
            and f.key not in self.claimed
        ]  # fmt: skip
        if not days:
            raise _Redraw
        new = rng.choice(days)
        reservation = self.book(flight, cabin, passengers=people)
        verdict = policy.change_flights_verdict(db, reservation, None)
        self.builder.trips[self.user.user_id].add((new.origin, new.destination, new.date))
        self.claimed.add(new.key)
        return self._checked(draft, reservation, verdict, new_date=new.date)

    def _baggage(self, draft: Draft) -> Draft:
        people = self._people()
        bags = self.rng.randint(1, 2) if draft.forbidden else self.rng.randint(0, people)
        flight = self.flight(BOOKABLE)
        reservation = self.book(flight, self._cabin(), passengers=people, bags=bags)
        change = -self.rng.randint(1, bags) if draft.forbidden else self.rng.randint(1, 2)
        rule = "bags can be added but never removed" if draft.forbidden else "allowed"
        data = {"change": change}
        return Draft(draft.kind, draft.forbidden, reservation.reservation_id, rule, data)

    def _passengers(self, draft: Draft) -> Draft:
        rng = self.rng
        people = self._people()
        reservation = self.book(self.flight(BOOKABLE), self._cabin(), passengers=people)
        if draft.forbidden:
            rule = "the number of passengers of a reservation cannot change"
            data = {"add": self.builder.person()}
        else:
            index = rng.randrange(people)
            old = reservation.passengers[index]
            field_name = rng.choice(("first_name", "last_name", "birth_date"))
            new = Passenger(old.first_name, old.last_name, old.birth_date)
            while getattr(new, field_name) == getattr(old, field_name):
                names = {"first_name": FIRST_NAMES, "last_name": LAST_NAMES}
                value = (
                    self.builder.birth_date()
                    if field_name == "birth_date"
                    else rng.choice(names[field_name])
                )
                setattr(new, field_name, value)
            rule, data = "allowed", {"index": index, "new": new}
        return Draft(draft.kind, draft.forbidden, reservation.reservation_id, rule, data)

    def _book(self, draft: Draft) -> Draft:
        rng, db = self.rng, self.builder.db
        cabin = self._cabin()
        people = 6 if draft.forbidden else self._people()
        seated = 1 if draft.forbidden else people
        route = self.flight(BOOKABLE)
        if rng.random() < 0.5:
            origin, destination, date = route.origin, route.destination, route.date
            options = [
                [f] for f in db.flights.values()
                if (f.origin, f.destination, f.date) == (origin, destination, date)
                and f.bookable(cabin, seated)
            ]  # fmt: skip
        else:
            origin, date = route.origin, route.date
            airports = sorted({f.destination for f in db.flights.values()} - {origin})
            destination = rng.choice(airports)
            if any(
                (f.origin, f.destination, f.date) == (origin, destination, date)
                for f in db.flights.values()
            ):
                raise _Redraw
            options = [
                list(pair) for pair in one_stop_connections(db, origin, destination, date)
                if all(f.bookable(cabin, seated) for f in pair)
            ]  # fmt: skip
        prices = sorted(sum(f.prices[cabin] for f in option) for option in options)
        if not options or (len(prices) > 1 and prices[0] == prices[1]):
            raise _Redraw
        if (origin, destination, date) in self.builder.trips[self.user.user_id]:
            raise _Redraw
        keys = {f.key for option in options for f in option}
        if keys & self.claimed:
            raise _Redraw
        self.claimed |= keys
        flights = min(options, key=lambda option: sum(f.prices[cabin] for f in option))
        bags = rng.randint(0, min(people, 3) + 1)
        insured = rng.random() < 0.4
        passengers = [self.user.as_passenger()] + [self.builder.person() for _ in range(people - 1)]
        self.builder.trips[self.user.user_id].add((origin, destination, date))
        rule = f"a booking carries at most {policy.MAX_PASSENGERS} passengers"
        data = {
            "origin": origin,
            "destination": destination,
            "date": date,
            "cabin": cabin,
            "flights": flights,
            "passengers": passengers,
            "bags": bags,
            "insurance": insured,
        }
        return Draft(
            draft.kind, draft.forbidden, None, rule if draft.forbidden else "allowed", data
        )

    def _compensation(self, draft: Draft) -> Draft:
        rng, db = self.rng, self.builder.db
        regular = self.user.tier == "regular"
        variants = ("undisrupted", "twice") + (("ineligible",) if regular else ())
        variant = rng.choice(variants) if draft.forbidden else "eligible"
        if variant == "undisrupted":
            reservation = self.book(self.flight(("scheduled",)), self._cabin())
        elif variant == "ineligible":
            flight = self.flight(("delayed", "cancelled"))
            reservation = self.book(
                flight, self._cabin("basic_economy", "economy"), insurance=False
            )
        else:
            flight = self.flight(("delayed", "cancelled"))
            business = regular and rng.random() < 0.5
            cabin = "business" if business else self._cabin()
            reservation = self.book(
                flight, cabin, insurance=True if regular and not business else None
            )
            reservation.compensated = variant == "twice"
        claim = policy.disruption(db, reservation) or "delayed"
        entitled = policy.compensation_amount(db, reservation)
        verdict = policy.compensation_verdict(db, reservation, entitled)
        return self._checked(draft, reservation, verdict, claim=claim)

    def _info(self, draft: Draft) -> Draft:
        flight = self.flight(STATUSES, future=None)
        reservation = self.book(flight, self._cabin(), passengers=self._people())
        question = self.rng.choice(("paid", "status", "bags"))
        return Draft(
            draft.kind, False, reservation.reservation_id, "allowed", {"question": question}
        )

    def _transfer(self, draft: Draft) -> Draft:
        need = self.rng.choice(HUMAN_NEEDS)
        return Draft(draft.kind, False, None, "no tool can do this", {"need": need})

    def _checked(
        self, draft: Draft, reservation: Reservation, verdict: policy.Verdict, **data: Any
    ) -> Draft:
        """The draft, if the policy's verdict is the planned one; otherwise draw again.

        The failed draw's reservation stays in the database as one more of the user's.
        """
        if verdict.allowed == draft.forbidden:
            raise _Redraw
        return Draft(draft.kind, draft.forbidden, reservation.reservation_id, verdict.rule, data)
