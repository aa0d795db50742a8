"""The sentences the rule-based user says.

The user states each request with a *core* sentence (what it wants) and gives each *detail*
(which reservation, why, how to pay...) in a sentence of its own, up front or when asked.
The wording is fixed per case so that conversations are reproducible; the scripted student
reads exactly these forms.
"""

from __future__ import annotations

from collections.abc import Sequence

from betal_envs.airline.world import Passenger, PaymentMethod, Reservation

#: How the user words each cancellation reason.
REASON_WORDS: dict[str, str] = {
    "health": "a health problem",
    "weather": "the storm forecast",
    "change_of_plans": "a change of plans",
    "airline_cancelled": "that the airline cancelled my flight",
    "other": "a personal matter",
}
CABIN_WORDS: dict[str, str] = {
    "basic_economy": "basic economy",
    "economy": "economy",
    "business": "business",
}
KIND_WORDS: dict[str, str] = {
    "credit_card": "credit card",
    "gift_card": "gift card",
    "certificate": "certificate",
}
#: Requests no tool can carry out; the policy sends them to a human agent.
HUMAN_NEEDS: tuple[str, ...] = (
    "to arrange wheelchair assistance at the airport",
    "to bring my cat in the cabin",
    "to file a complaint about a lost bag",
    "to order a special meal on board",
)
ORDINALS: tuple[str, ...] = ("First", "Second", "Third", "Fourth", "Fifth", "Sixth")
GOODBYE = "That is everything I needed, thank you. Goodbye."
CONTINUE = "Thank you. Please go on with the rest of my requests."
NEXT = "Thank you. There is one more thing."
CONFIRM = "Yes, please go ahead."


def reference(reservation: Reservation, knows_id: bool, said: bool) -> str:
    """How a core sentence names a reservation: by id, by trip, or vaguely when not said."""
    if not said:
        return "one of my reservations"
    if knows_id:
        return f"my reservation {reservation.reservation_id}"
    return f"my {reservation.describe_trip()}"


def reservation_detail(reservation: Reservation, knows_id: bool) -> str:
    if knows_id:
        return f"The reservation id is {reservation.reservation_id}."
    return f"I don't remember the reservation id, but it is my {reservation.describe_trip()}."


def user_id_detail(user_id: str) -> str:
    return f"My user id is {user_id}."


def method_words(method: PaymentMethod) -> str:
    return f"my {KIND_WORDS[method.kind]} ending in {method.last_digits}"


def payment_detail(methods: Sequence[PaymentMethod]) -> str:
    """One method, or several used in order with the last one taking the rest."""
    if len(methods) == 1:
        return f"Please use {method_words(methods[0])}."
    first = [method_words(m) for m in methods[:-1]]
    order = first[0] + " first" + "".join(f", then {words}" for words in first[1:])
    return f"Please pay with {order}, and put the rest on {method_words(methods[-1])}."


def reason_detail(reason: str) -> str:
    return f"The reason is {REASON_WORDS[reason]}."


def cabin_detail(cabin: str) -> str:
    return f"I would like to fly in {CABIN_WORDS[cabin]}."


def passengers_detail(people: Sequence[Passenger]) -> str:
    return "The passengers are: " + "; ".join(p.label() for p in people) + "."


def bags_detail(bags: int) -> str:
    return f"I need {bags} checked bags in total."


def insurance_detail(wanted: bool) -> str:
    return "I would like travel insurance." if wanted else "I do not want travel insurance."


def passenger_change_detail(old: Passenger, new: Passenger) -> str:
    return f"Please change the passenger {old.label()} to {new.label()}."


def bags_words(count: int) -> str:
    return f"{count} checked bag" + ("" if count == 1 else "s")


def opening(user_id: str | None, texts: Sequence[str], all_at_once: bool) -> str:
    """The first message: a greeting, the user id if volunteered, and the first request(s)."""
    parts = ["Hello."]
    if user_id is not None:
        parts.append(user_id_detail(user_id))
    if all_at_once and len(texts) > 1:
        parts.append(f"I have {len(texts)} requests today.")
        parts.extend(f"{ORDINALS[i]}, {text}" for i, text in enumerate(texts))
    else:
        parts.append(texts[0])
    return " ".join(parts)
