"""Generating an airline instance from parameters and a 64-bit seed.

An instance is generated in two phases from one ``random.Random(seed)``, so it is the same
in every process and regenerates alone from its seed:

1. **The world and the targets.** Flights, users and their background reservations; then,
   per request, the reservation it is about, built so that the policy allows or forbids the
   request as planned (:mod:`betal_envs.airline.targets`); then look-alike *distractor*
   reservations (same route, another day) of the user.
2. **The gold.** The requests are worded and their gold tool calls computed in order against
   the database, each applied before the next is computed
   (:mod:`betal_envs.airline.requests`). The result is the gold database; a copy taken
   between the phases is the database the conversation starts from.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from betal_envs.airline import phrases
from betal_envs.airline.requests import finish
from betal_envs.airline.targets import Targets
from betal_envs.airline.tasks import FORBIDDABLE, N_USERS, TRANSFER, AirlineInstance
from betal_envs.airline.world import WorldBuilder


def plan_kinds(params: Mapping[str, Any], rng: random.Random) -> list[tuple[str, bool]]:
    """The kinds of the requests and whether each must be refused.

    A transfer to a human ends the conversation, so at most one is planned, as the last.
    """
    kinds = params["request_kinds"]
    drawn = [kinds[int(rng.random() * len(kinds))] for _ in range(params["n_requests"])]
    if TRANSFER in drawn:
        drawn = [kind for kind in drawn if kind != TRANSFER] + [TRANSFER]
    share = params["forbidden_share"]
    return [(kind, kind in FORBIDDABLE and rng.random() < share) for kind in drawn]


def generate(params: Mapping[str, Any], seed: int) -> AirlineInstance:
    """Generate the instance of ``seed`` for a validated parameter set."""
    rng = random.Random(seed)
    builder = WorldBuilder(rng, params["payment_complexity"])
    builder.add_flights(params["n_flights"])
    users = [builder.add_user() for _ in range(N_USERS)]
    user = users[0]
    targets = Targets(builder, user)
    for someone in users:
        for _ in range(params["reservations_per_user"]):
            targets.background(someone)

    drafts = [targets.select(kind, forbidden) for kind, forbidden in plan_kinds(params, rng)]
    for _ in range(params["distractor_reservations"]):
        targets.distractor([d.reservation_id for d in drafts if d.reservation_id])
    rng.shuffle(user.reservation_ids)

    start = builder.db.copy()
    gold = builder.db
    cooperativeness = params["cooperativeness"]
    requests = tuple(finish(draft, gold, user.user_id, cooperativeness, rng) for draft in drafts)
    all_at_once = params["request_style"] == "all_at_once"
    volunteered = rng.random() < cooperativeness
    instance = AirlineInstance(start, gold, user.user_id, requests, all_at_once, volunteered)
    instance.opening = phrases.opening(
        user.user_id if volunteered else None,
        [request.statement() for request in requests],
        all_at_once,
    )
    return instance
