"""The parameters of ``BeTaL/Airline-v0``."""

from __future__ import annotations

from betal_envs.airline.tasks import (
    BAGGAGE,
    BOOK,
    CANCEL,
    CHANGE,
    COMPENSATION,
    INFO,
    PASSENGERS,
    REQUEST_KINDS,
)
from betal_envs.params import (
    ChoiceParam,
    FloatParam,
    IntParam,
    ParameterSpace,
    SubsetParam,
)

ENV_ID = "BeTaL/Airline-v0"

SPACE = ParameterSpace(
    ENV_ID,
    (
        IntParam("n_flights", "flight numbers in the schedule, each flying every day",
                 low=4, high=40, default=12, harder="higher"),
        IntParam("reservations_per_user", "other reservations every user already holds",
                 low=0, high=6, default=2, harder="higher"),
        SubsetParam("request_kinds", "kinds of request the user may bring up",
                    choices=REQUEST_KINDS,
                    default=(CANCEL, CHANGE, BAGGAGE, PASSENGERS, BOOK, COMPENSATION, INFO),
                    harder="more"),
        IntParam("n_requests", "requests the user brings up in one conversation",
                 low=1, high=6, default=3, harder="higher"),
        FloatParam("forbidden_share", "chance that a request is one the policy forbids",
                   low=0.0, high=1.0, default=0.3, harder="higher"),
        FloatParam("cooperativeness",
                   "chance that the user volunteers each detail (else only when asked) and "
                   "knows reservation ids",
                   low=0.0, high=1.0, default=0.5, harder="lower"),
        ChoiceParam("request_style", "requests stated one at a time or all in the first message",
                    choices=("one_at_a_time", "all_at_once"), default="one_at_a_time"),
        IntParam("payment_complexity",
                 "payment methods of each user: 0 one card, 1 adds a gift card, 2 two cards, "
                 "a gift card and a certificate, 3 two of each",
                 low=0, high=3, default=1, harder="higher"),
        IntParam("distractor_reservations",
                 "look-alike reservations of the user (a target's route, another day)",
                 low=0, high=6, default=1, harder="higher"),
        IntParam("turn_limit", "agent turns (tool calls and messages) before the cut-off",
                 low=10, high=100, default=30, harder="lower"),
    ),
)  # fmt: skip
