"""``airline-scripted``: the reference student of ``BeTaL/Airline-v0``.

It plays through the Gymnasium API only: each step it reads the new JSON lines of the text
observation (what the user said, what its tools returned) and answers with one JSON action.
It reads the rule-based user's sentences with :mod:`betal_envs.airline.reading`, asks for
every detail the user has not given, finds a reservation the user names only by its trip by
looking the user's reservations up one by one, applies the template's policy functions as
its rulebook to what its tools showed, confirms every change and reports every outcome.

Its knobs make a family of weaker students, each episode's chances drawn from ``(seed,
episode seed, index)`` so that an episode replays exactly:

* ``skip_check``: the chance of skipping the policy check of a request (it then carries out
  a forbidden request, or refuses nothing);
* ``slip``: the chance of a wrong choice at each decision that has alternatives: taking
  another of the user's reservations for the one meant (each one looked at before the right
  one, when the user names it by its trip), another flight than the one asked for, another
  payment method of the same kind, a miscounted non-free bag, a wrong amount or answer;
* ``capacity``: how many requests it can keep track of at once; of requests stated
  together, those beyond it are forgotten (the user then waits in vain).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

from agents.registry import STUDENTS
from agents.student import Episode, Student
from betal_envs.airline import policy
from betal_envs.airline.reading import Job, read_jobs, read_user_id
from betal_envs.airline.records import passenger_record, reservation_from_record, user_from_record
from betal_envs.airline.transcript import CONVERSATION
from betal_envs.airline.world import BAG_FEE, INSURANCE_FEE, Database, Reservation, User
from betal_envs.errors import SpecError

AIRLINE_ID = "BeTaL/Airline-v0"
_ANYTHING_ELSE = "Is there anything else I can help you with?"
_END = json.dumps({"tool": "end_conversation", "arguments": {}})

#: What the student asks to learn each detail.
QUESTIONS: dict[str, str] = {
    "user_id": "Could you please tell me your user id?",
    "reservation": "Could you please tell me the reservation id?",
    "reason": "Could you please tell me the reason for the cancellation?",
    "payment": "Which payment method would you like to use?",
    "passenger_change": "Please tell me which passenger to change, and the new name and birth date.",
    "passengers": "Who are the passengers, with their names and birth dates?",
    "cabin": "Which cabin would you like to fly in?",
    "bags": "How many checked bags do you need in total?",
    "insurance": "Would you like travel insurance?",
}

Events = list[dict[str, Any]]
Talk = Generator[str, Events, Any]


class _Missing(Exception):
    """Internal: the user did not give a detail the request needs, even when asked."""


class Conversation:
    """One episode of the scripted student: what it knows and how it talks and calls."""

    def __init__(self, student: AirlineScriptedStudent, rng: random.Random) -> None:
        self.student = student
        self.rng = rng
        self.db = Database()
        self.user_id = ""
        self.reservation_ids: list[str] = []
        self.stale_user = False

    # -- talking and calling --------------------------------------------------------------

    def say(self, text: str) -> Talk:
        """Write to the user; the user's reply."""
        events = yield json.dumps({"message": text})
        return " ".join(e["content"] for e in events if e.get("role") == "user")

    def call(self, tool: str, **arguments: Any) -> Talk:
        """Call a tool; ``(result, error)``."""
        events = yield json.dumps({"tool": tool, "arguments": arguments})
        found = next((e for e in events if e.get("role") == "tool"), {"error": "no result"})
        return found.get("result"), found.get("error")

    def detail(self, job: Job, name: str) -> Talk:
        """A detail of the job, asked for when the user has not given it yet."""
        if job.get(name) is None:
            job.hear((yield from self.say(QUESTIONS[name])))
        if job.get(name) is None:
            raise _Missing(name)
        return job.get(name)

    def slipped(self) -> bool:
        return self.student.slip > 0 and self.rng.random() < self.student.slip

    def check(self, verdict: Callable[[], policy.Verdict]) -> policy.Verdict:
        """The policy's verdict, unless the student skips the check."""
        if self.student.skip_check and self.rng.random() < self.student.skip_check:
            return policy.ALLOWED
        return verdict()

    def confirm(self, plan: str) -> Talk:
        """Ask the user to confirm ``plan``; whether they said yes."""
        reply = yield from self.say(f"{plan} Shall I proceed? (yes/no)")
        return reply.lower().startswith("yes")

    def change(self, plan: str, done: str, tool: str, arguments: dict[str, Any]) -> Talk:
        """Confirm, call a changing tool and report; the user's reply to the report."""
        if not (yield from self.confirm(plan)):
            return (yield from self.say(f"Alright, I will leave it. {_ANYTHING_ELSE}"))
        result, error = yield from self.call(tool, **arguments)
        if error:
            return (yield from self.say(f"I'm sorry, I cannot complete that: {error}."))
        self.stale_user = True
        if isinstance(result, dict) and "reservation_id" in result:
            self.learn(result)
        return (yield from self.say(f"Done: {done} {_ANYTHING_ELSE}"))

    def refuse(self, why: str) -> Talk:
        return (yield from self.say(f"I'm sorry, I cannot do that: {why}. {_ANYTHING_ELSE}"))

    # -- what it knows --------------------------------------------------------------------

    def load_user(self) -> Talk:
        result, error = yield from self.call("get_user", user_id=self.user_id)
        if error is None:
            self.db.users[self.user_id] = user_from_record(result)
            self.reservation_ids = list(result["reservations"])
            self.stale_user = False
        return error

    def fresh_user(self) -> Talk:
        """The user as the tools show it now (looked up again after a change)."""
        if self.stale_user:
            yield from self.load_user()
        return self.db.users[self.user_id]

    def learn(self, record: dict[str, Any]) -> Reservation:
        """Keep a reservation record (and its flights) in the student's own database."""
        reservation, flights = reservation_from_record(record)
        self.db.reservations[reservation.reservation_id] = reservation
        self.db.flights.update({flight.key: flight for flight in flights})
        return reservation

    def reservation(self, reservation_id: str) -> Talk:
        if reservation_id in self.db.reservations:
            return self.db.reservations[reservation_id]
        result, error = yield from self.call("get_reservation", reservation_id=reservation_id)
        return None if error else self.learn(result)

    def find(self, job: Job) -> Talk:
        """The reservation a job is about: by its id, or by its trip among the user's."""
        if job.get("reservation_id") is None and job.get("trip") is None:
            job.hear((yield from self.say(QUESTIONS["reservation"])))
        if (reservation_id := job.get("reservation_id")) is not None:
            return (yield from self.reservation(reservation_id))
        if (trip := job.get("trip")) is None:
            return None
        for reservation_id in self.reservation_ids:
            found = yield from self.reservation(reservation_id)
            if found is None:
                continue
            if (found.origin, found.destination, found.date) == trip or self.slipped():
                return found
        return None

    def method(self, kind_words: str, digits: str) -> str | None:
        """The id of the user's method named so (or, slipping, another of its kind)."""
        same = self.db.users[self.user_id].methods_of(kind_words.replace(" ", "_"))
        meant = next((m.payment_id for m in same if m.last_digits == digits), None)
        others = [m.payment_id for m in same if m.payment_id != meant]
        return self.rng.choice(others) if others and self.slipped() else meant

    def choose(self, options: list[Any], best: Any) -> Any:
        """``best``, or, with a slip per other option, one of the others."""
        return next((o for o in options if o is not best and self.slipped()), best)

    def miscount(self, value: int) -> int:
        return value + 1 if self.slipped() else value

    # -- the conversation -----------------------------------------------------------------

    def play(self, opening: str) -> Talk:
        jobs = read_jobs(opening)
        self.user_id = read_user_id(opening) or ""
        if not self.user_id:
            self.user_id = read_user_id((yield from self.say(QUESTIONS["user_id"]))) or ""
        if (yield from self.load_user()) is not None:
            yield from self.say("I'm sorry, I cannot find that user id. Goodbye.")
            return
        # Requests stated together beyond what the student can keep track of are forgotten.
        del jobs[self.student.capacity :]
        while jobs:
            job = jobs.pop(0)
            try:
                reply = yield from HANDLERS[job.kind](self, job)
            except _Missing as missing:
                why = f"I cannot go on without the {missing}"
                reply = yield from self.refuse(why)
            if reply is None:
                return
            jobs.extend(read_jobs(reply))
            if "Goodbye" in reply and not jobs:
                return


# -- one handler per kind of request: each returns the user's reply to its last message ------

Handler = Callable[[Conversation, Job], Talk]
AboutReservation = Callable[[Conversation, Job, Reservation], Talk]


def _about_reservation(handler: AboutReservation) -> Handler:
    """A handler that first finds the reservation the request is about."""

    def handle(talk: Conversation, job: Job) -> Talk:
        if (found := (yield from talk.find(job))) is None:
            return (yield from talk.refuse("I cannot find that reservation"))
        return (yield from handler(talk, job, found))

    return handle


@_about_reservation
def _cancel(talk: Conversation, job: Job, found: Reservation) -> Talk:
    reason = yield from talk.detail(job, "reason")
    verdict = talk.check(lambda: policy.cancel_verdict(talk.db, found, reason))
    if not verdict.allowed:
        return (yield from talk.refuse(verdict.rule))
    rid = found.reservation_id
    plan = f"I will cancel reservation {rid} (reason: {reason}) and refund what was paid."
    arguments = {"reservation_id": rid, "reason": reason}
    return (yield from talk.change(plan, f"{rid} is cancelled.", "cancel_reservation", arguments))


def _payment(talk: Conversation, job: Job) -> Talk:
    """The single payment method the user names for a fee or a fare difference."""
    named = yield from talk.detail(job, "payment")
    return talk.method(*named[0])


@_about_reservation
def _change(talk: Conversation, job: Job, found: Reservation) -> Talk:
    verdict = talk.check(lambda: policy.change_flights_verdict(talk.db, found, None))
    if not verdict.allowed:
        return (yield from talk.refuse(verdict.rule))
    date, people, cabin = job.get("new_date"), len(found.passengers), found.cabin
    trip = {"origin": found.origin, "destination": found.destination, "date": date}
    flights, _ = yield from talk.call("search_direct_flights", **trip)
    options = [f for f in flights or [] if _bookable([f], cabin, people)]
    number = found.segments[0].flight_number
    if (meant := next((f for f in options if f["flight_number"] == number), None)) is None:
        return (yield from talk.refuse(f"there is no free seat on that flight on {date}"))
    chosen = talk.choose(options, meant)
    payment_id = yield from _payment(talk, job)
    difference = (chosen["prices"][cabin] - found.segments[0].price) * people
    plan = (
        f"I will move reservation {found.reservation_id} to {chosen['flight_number']} on "
        f"{date}; the fare difference of ${difference} goes to {payment_id}."
    )
    legs = [{"flight_number": chosen["flight_number"], "date": date}]
    arguments = {"reservation_id": found.reservation_id, "flights": legs, "payment_id": payment_id}
    return (yield from talk.change(plan, "the flights are changed.", "change_flights", arguments))


@_about_reservation
def _baggage(talk: Conversation, job: Job, found: Reservation) -> Talk:
    user = yield from talk.fresh_user()
    total = found.total_bags + job.get("bag_change")
    nonfree = policy.nonfree_bags(user.tier, found.cabin, len(found.passengers), total)
    verdict = talk.check(lambda: policy.bags_verdict(user, found, total, nonfree, None))
    if not verdict.allowed:
        return (yield from talk.refuse(verdict.rule))
    nonfree = talk.miscount(nonfree)
    payment_id = yield from _payment(talk, job)
    fee = BAG_FEE * (nonfree - found.nonfree_bags)
    plan = (
        f"I will set {found.reservation_id} to {total} checked bags, {nonfree} of them "
        f"non-free, for ${fee} paid with {payment_id}."
    )
    arguments = {"reservation_id": found.reservation_id, "total_bags": total}
    arguments |= {"nonfree_bags": nonfree, "payment_id": payment_id}
    return (yield from talk.change(plan, "the bags are updated.", "change_baggage", arguments))


@_about_reservation
def _passengers(talk: Conversation, job: Job, found: Reservation) -> Talk:
    people = list(found.passengers)
    if (added := job.get("added_passenger")) is not None:
        people.append(added)
    else:
        old, new = yield from talk.detail(job, "passenger_change")
        people = [new if person == old else person for person in people]
    verdict = talk.check(lambda: policy.passengers_verdict(found, len(people)))
    if not verdict.allowed:
        return (yield from talk.refuse(verdict.rule))
    labels = "; ".join(p.label() for p in people)
    plan = f"I will set the passengers of {found.reservation_id} to: {labels}."
    records = [passenger_record(p) for p in people]
    arguments = {"reservation_id": found.reservation_id, "passengers": records}
    return (
        yield from talk.change(plan, "the passengers are updated.", "change_passengers", arguments)
    )


def _itinerary(talk: Conversation, trip: tuple[str, ...], cabin: str, people: int) -> Talk:
    """The cheapest bookable direct flight, else the cheapest one-stop connection."""
    origin, destination, date = trip
    direct, _ = yield from talk.call(
        "search_direct_flights", origin=origin, destination=destination, date=date
    )
    options = [[f] for f in direct or []]
    if not any(_bookable(o, cabin, people) for o in options):
        found, _ = yield from talk.call(
            "search_one_stop_flights", origin=origin, destination=destination, date=date
        )
        options = [pair["flights"] for pair in found or []]
    options = [o for o in options if _bookable(o, cabin, people)]
    if not options:
        return None
    best = min(options, key=lambda option: sum(f["prices"][cabin] for f in option))
    return talk.choose(options, best)


def _bookable(flights: list[dict[str, Any]], cabin: str, people: int) -> bool:
    return all(
        f["status"] in ("scheduled", "delayed") and f["seats"][cabin] >= people for f in flights
    )


def _split(talk: Conversation, user: User, named: list[tuple[str, str]], price: int) -> list:
    """Each named method in turn pays what its balance allows; the last pays the rest."""
    remaining, payments = price, []
    ids = [talk.method(words, digits) for words, digits in named]
    for number, payment_id in enumerate(ids):
        method = user.payment_methods.get(payment_id)
        last = number == len(ids) - 1
        amount = remaining if last or method is None else min(method.balance or 0, remaining)
        if amount > 0:
            payments.append({"payment_id": payment_id, "amount": amount})
            remaining -= amount
    return payments


def _book(talk: Conversation, job: Job) -> Talk:
    cabin = yield from talk.detail(job, "cabin")
    people = yield from talk.detail(job, "passengers")
    bags = yield from talk.detail(job, "bags")
    if (insured := job.get("insurance")) is None:
        insured = yield from talk.detail(job, "insurance")
    named = yield from talk.detail(job, "payment")
    user = yield from talk.fresh_user()
    nonfree = policy.nonfree_bags(user.tier, cabin, len(people), bags)
    kinds = [words.replace(" ", "_") for words, _ in named]
    verdict = talk.check(
        lambda: policy.booking_verdict(user, cabin, len(people), bags, nonfree, kinds)
    )
    if not verdict.allowed:
        return (yield from talk.refuse(verdict.rule))
    trip = job.get("book_trip")
    flights = yield from _itinerary(talk, trip, cabin, len(people))
    if flights is None:
        return (yield from talk.refuse("no flight of that trip has free seats"))
    nonfree = talk.miscount(nonfree)
    fares = sum(f["prices"][cabin] for f in flights) * len(people)
    price = fares + INSURANCE_FEE * len(people) * insured + BAG_FEE * nonfree
    payments = _split(talk, user, named, price)
    legs = [{"flight_number": f["flight_number"], "date": f["date"]} for f in flights]
    numbers = ", ".join(f["flight_number"] for f in flights)
    plan = (
        f"I will book {numbers} in {cabin} for {len(people)} passengers with {bags} bags, "
        f"for ${price} in all, paid as {payments}."
    )
    arguments = {
        "user_id": talk.user_id, "origin": trip[0], "destination": trip[1], "cabin": cabin,
        "flights": legs, "passengers": [passenger_record(p) for p in people],
        "payment_methods": payments, "total_bags": bags, "nonfree_bags": nonfree,
        "insurance": insured,
    }  # fmt: skip
    return (yield from talk.change(plan, "the trip is booked.", "book_reservation", arguments))


@_about_reservation
def _compensation(talk: Conversation, job: Job, found: Reservation) -> Talk:
    amount = policy.compensation_amount(talk.db, found)
    verdict = talk.check(lambda: policy.compensation_verdict(talk.db, found, amount))
    if not verdict.allowed:
        return (yield from talk.refuse(verdict.rule))
    people = len(found.passengers)
    amount = amount or policy.COMPENSATION["delayed"] * people
    if talk.slipped():
        amount = amount // people if people > 1 else amount + 50
    plan = f"I will issue a certificate of ${amount} for reservation {found.reservation_id}."
    arguments = {"reservation_id": found.reservation_id, "amount": amount}
    done = f"a ${amount} certificate is issued."
    return (yield from talk.change(plan, done, "issue_certificate", arguments))


@_about_reservation
def _info(talk: Conversation, job: Job, found: Reservation) -> Talk:
    question = job.get("question")
    user = yield from talk.fresh_user()
    if question == "paid":
        answer = f"you have paid ${policy.total_paid(found) + 10 * talk.slipped()} in total"
    elif question == "status":
        status = talk.db.flights_of(found)[0].status
        answer = f"the flight is {'on time' if talk.slipped() else status}"
    else:
        free = policy.free_bags(user.tier, found.cabin, len(found.passengers))
        answer = f"it includes {talk.miscount(free)} free checked bags"
    reply = f"For reservation {found.reservation_id}, {answer}. {_ANYTHING_ELSE}"
    return (yield from talk.say(reply))


def _transfer(talk: Conversation, job: Job) -> Talk:
    yield from talk.call("transfer_to_human", summary=job.text[:300])
    return None


HANDLERS: dict[str, Handler] = {
    "cancel": _cancel,
    "change_flight": _change,
    "baggage": _baggage,
    "passengers": _passengers,
    "book": _book,
    "compensation": _compensation,
    "info": _info,
    "transfer": _transfer,
}


def _check_share(value: float, setting: str) -> None:
    if not 0.0 <= value <= 1.0:
        raise SpecError(f"{setting}={value!r} is not a probability; use a number in 0..1.")


@STUDENTS.register("airline-scripted")
@dataclass
class AirlineScriptedStudent(Student):
    """Follows the policy through the text observation; weakened by its knobs."""

    skip_check: float = field(
        default=0.0, metadata={"doc": "chance of skipping the policy check of a request"}
    )
    slip: float = field(
        default=0.0, metadata={"doc": "chance of a wrong choice at each decision with options"}
    )
    capacity: int = field(
        default=6, metadata={"doc": "requests it keeps track of at once (more are forgotten)"}
    )
    seed: int = field(default=0, metadata={"doc": "seed of the student's own randomness"})

    name = "airline-scripted"
    obs_mode = "text"
    templates = (AIRLINE_ID,)

    def __post_init__(self) -> None:
        _check_share(self.skip_check, "skip_check")
        _check_share(self.slip, "slip")
        if self.capacity < 0:
            raise SpecError(f"capacity={self.capacity} is negative; use 0 or more requests.")

    def act(self, observation: str, info: dict[str, Any], episode: Episode) -> str:
        memory = episode.memory
        lines = observation.partition(CONVERSATION + "\n")[2].split("\n")
        events = [json.loads(line) for line in lines[memory.get("read", 0) :] if line]
        memory["read"] = len(lines)
        if "talk" not in memory:
            rng = random.Random(f"{self.name}/{self.seed}/{episode.seed}/{episode.index}")
            memory["talk"] = Conversation(self, rng).play(events[0]["content"])
            events = None
        try:
            return memory["talk"].send(events)
        except StopIteration:
            return _END

    def describe(self) -> str:
        return (
            f"{self.name}:skip_check={self.skip_check:g},slip={self.slip:g},"
            f"capacity={self.capacity},seed={self.seed}"
        )
