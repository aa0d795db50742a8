"""``BeTaL/Airline-v0``: a customer-service conversation with tools, a policy and a user."""

from __future__ import annotations

import logging
import textwrap
from collections.abc import Mapping
from typing import Any, ClassVar

import gymnasium as gym
import numpy as np

from betal_envs.airline import transcript
from betal_envs.airline.arguments import ToolError
from betal_envs.airline.generator import generate
from betal_envs.airline.judge import judge
from betal_envs.airline.policy import CHANGING_TOOLS, POLICY, check_call
from betal_envs.airline.render import picture, transcript_text, turn_kinds
from betal_envs.airline.schemas import TOOLS, tool_schemas
from betal_envs.airline.space import ENV_ID, SPACE
from betal_envs.airline.tasks import AirlineInstance
from betal_envs.airline.tools import IMPLEMENTATIONS, check_arguments
from betal_envs.airline.user import RuleUser, UserReply
from betal_envs.errors import BetalError
from betal_envs.params import ParameterSpace
from betal_envs.template import TEXT_CHARSET, Template

logger = logging.getLogger(__name__)

USER_KINDS: tuple[str, ...] = ("rules", "llm")


class AirlineEnv(Template):
    """Serve an airline customer over several turns, with tools and a written policy.

    ## Description

    The agent is an airline's customer-service agent. It talks with one simulated user, who
    has a hidden goal of one or several requests (cancel a reservation, move it to another
    day, add bags, correct a passenger, book a trip, claim compensation for a disrupted
    flight, ask a question about a reservation, or something only a human agent can do).
    Some requests are ones the written policy forbids: the agent must refuse them. The agent
    acts on an in-memory database of users, flights and reservations, generated from the
    parameters and the instance seed, through tools; it must ask the user for the details it
    needs (the user gives some up front, the rest when asked), follow the policy, confirm
    every change with the user, and end the conversation when the user is done.

    The simulated user is rule-based and deterministic by default; ``user="llm"`` (with
    ``user_model``, or a ready ``user_client``, an :class:`agents.llm.ChatClient`) lets a
    model on an OpenAI-compatible server play it instead.

    ## Observation space

    ``Text``: the whole conversation so far. A fixed header (how to act, the policy, one JSON
    line per tool) is followed by ``== CONVERSATION ==`` and one JSON object per line per
    event: ``{"role": "user", "content": ...}``, ``{"role": "agent", "content": ...}``,
    ``{"role": "agent", "tool": ..., "arguments": ...}``, ``{"role": "tool", "tool": ...,
    "result": ...}`` (or ``"error"``), ``{"role": "env", "error": ...}``.
    :func:`betal_envs.airline.transcript.read_events` reads them back. Only
    ``obs_mode="text"`` exists.

    ## Action space

    ``Text``: one action per step, ``{"tool": "<name>", "arguments": {...}}`` or
    ``{"message": "<text>"}``. Read leniently for LLM agents: the OpenAI call shapes, a
    code fence, ``get_user(user_id="x")``, a JSON call inside prose; other text is a message.
    The tools: ``get_user``, ``get_reservation``, ``search_direct_flights``,
    ``search_one_stop_flights``, ``book_reservation``, ``cancel_reservation``,
    ``change_flights``, ``change_baggage``, ``change_passengers``, ``issue_certificate``,
    ``transfer_to_human``, ``calculate``, ``end_conversation``. A call that is malformed or
    cannot be carried out is answered with an error line and leaves the database unchanged;
    the episode goes on.

    ## Rewards and episode end

    The episode terminates when the agent calls ``end_conversation`` or
    ``transfer_to_human``, or writes to a user who has already said goodbye; it is truncated
    after ``turn_limit`` agent turns (or ``max_steps`` if smaller). The last step gives
    reward 1 on success, else 0; every other step gives 0. Success: the final database
    equals the gold one (the gold actions applied to the starting database), every request
    was addressed and every forbidden one refused, every question answered, a transfer made
    exactly when needed, no policy violation (including a change without the user's
    confirmation), and the turn limit not reached.

    Each step's info has ``action`` (``tool``, ``message`` or ``invalid``), ``tool`` and
    ``error``. The last step's info adds ``success``, ``failures`` (the reasons, in words),
    ``violations``, ``gold_actions`` (JSON actions) and ``requests`` (kind and whether it
    had to be refused). Reset info has ``policy``, ``tools`` (OpenAI tools format) and
    ``turn_limit``. ``render_mode="ansi"`` gives the transcript; ``"rgb_array"`` a labelled
    timeline of turns, requests and outcome above the last lines of the conversation.

    ## Parameters

    {parameter_table}

    The default student is ``airline-scripted:skip_check=0.5,slip=0.1,capacity=3``; it
    succeeds on about half of the instances at the defaults. Difficulty grows with more
    requests, more forbidden ones (each is a policy check a student may skip), a less
    cooperative user (more questions, reservations named only by their trip, found among
    look-alikes), more distractor reservations, more complex payments, more flights to
    choose among, and a lower turn limit. A transfer to a human ends the conversation, so
    at most one is planned, as the last request.

    ## Version history

    * v0: first version.
    """

    space: ClassVar[ParameterSpace] = SPACE
    env_id: ClassVar[str] = ENV_ID
    # Skipping half of the policy checks and slipping at one decision in ten puts the defaults
    # at about 0.5 (0.48 over 300 episodes); one allowed request from a cooperative user is
    # about 0.95, six forbidden ones from an uncooperative user about 0.05.
    default_student: ClassVar[str] = "airline-scripted:skip_check=0.5,slip=0.1,capacity=3"
    summary: ClassVar[str] = (
        "Airline customer service with tools, in the style of tau-bench's airline domain. The "
        "agent talks with a simulated user who has one or several requests (cancel, change "
        "flights, add bags, correct passengers, book a trip, compensation, questions, or "
        "something only a human can do) and acts on a generated database of users, flights "
        "and reservations through tools, under a written policy that forbids some requests "
        "(which must be refused). Success: the final database equals the gold one, every "
        "request was addressed, forbidden ones refused, questions answered, no policy "
        "violation, within the turn limit. Harder: more requests, a larger forbidden share, a "
        "less cooperative user (details only when asked, reservations named by trip), more "
        "look-alike reservations, complex payments (gift cards, certificates, split "
        "payments), more flights and fewer turns."
    )
    default_max_steps: ClassVar[int] = SPACE["turn_limit"].high
    obs_modes: ClassVar[tuple[str, ...]] = ("text",)
    #: Longest observation; the oldest events are left out beyond it.
    max_observation_chars: ClassVar[int] = 1_000_000
    #: Longest text action.
    max_action_chars: ClassVar[int] = 8_192

    def __init__(
        self,
        params: Mapping[str, Any] | None = None,
        obs_mode: str = "text",
        render_mode: str | None = None,
        max_steps: int | None = None,
        user: str = "rules",
        user_model: str = "gpt-4o-mini",
        user_client: Any = None,
    ) -> None:
        if obs_mode != "text":
            raise BetalError(
                f"{ENV_ID} offers only obs_mode='text' (a conversation), not {obs_mode!r}."
            )
        if user not in USER_KINDS:
            raise BetalError(f"user={user!r} is not known; use one of {USER_KINDS}.")
        super().__init__(params, "text", render_mode, max_steps)
        self._step_cap = self.max_steps
        self.user_kind = user
        self.user_model = user_model
        self.user_client = user_client
        self._header = transcript.header(POLICY, TOOLS)

    # -- instances ------------------------------------------------------------------------

    def _spaces(self) -> tuple[gym.Space, gym.Space]:
        observation = gym.spaces.Text(self.max_observation_chars, charset=TEXT_CHARSET)
        action = gym.spaces.Text(self.max_action_chars, min_length=0, charset=TEXT_CHARSET)
        return observation, action

    def _new_instance(self, seed: int) -> AirlineInstance:
        instance = generate(self.params, seed)
        self.max_steps = min(int(self.params["turn_limit"]), self._step_cap)
        self.db = instance.db.copy()
        self.user = self._make_user(instance)
        self.events: list[dict[str, Any]] = []
        self._lines: list[str] = []
        self._violations: list[str] = []
        self._violating_turns: set[int] = set()
        self._confirmed = False
        self._transferred = False
        self._outcome: list[str] | None = None
        self._add({"role": "user", "content": self.user.opening()})
        return instance

    def _make_user(self, instance: AirlineInstance) -> RuleUser:
        if self.user_kind == "rules":
            return RuleUser(instance)
        from betal_envs.airline.llm_user import LLMUser, default_client

        if self.user_client is None:
            self.user_client = default_client(self.user_model)
        return LLMUser(instance, self.params, client=self.user_client)

    def _reset_info(self) -> dict[str, Any]:
        return {"policy": POLICY, "tools": tool_schemas(), "turn_limit": self.max_steps}

    # -- the conversation -----------------------------------------------------------------

    def _add(self, event: dict[str, Any]) -> None:
        self.events.append(event)
        self._lines.append(transcript.event_line(event))

    def _observe(self) -> str:
        text = "\n".join([self._header, *self._lines])
        if len(text) <= self.max_observation_chars:
            return text
        # Keep the user's opening and as many of the latest events as fit.
        budget = self.max_observation_chars - len(self._header) - len(self._lines[0]) - 200
        kept: list[str] = []
        for line in reversed(self._lines[1:]):
            budget -= len(line) + 1
            if budget < 0:
                break
            kept.append(line)
        left_out = len(self._lines) - 1 - len(kept)
        note = transcript.event_line({"role": "env", "note": f"{left_out} earlier events left out"})
        return "\n".join([self._header, self._lines[0], note, *reversed(kept)])

    def _act(self, action: Any) -> tuple[float, bool, dict[str, Any]]:
        parsed = transcript.parse_action(action)
        info: dict[str, Any] = {"action": parsed.kind, "tool": None, "error": None}
        ended = False
        if parsed.kind == "invalid":
            info["error"] = parsed.error
            self._add({"role": "env", "error": parsed.error})
        elif parsed.kind == "message":
            ended = self._message(parsed.text)
        else:
            info["tool"] = parsed.tool if isinstance(parsed.tool, str) else None
            ended, info["error"] = self._call(parsed.tool, parsed.arguments)
        if not ended and self._steps < self.max_steps:
            return 0.0, False, info
        self._outcome = judge(
            self.instance,
            self.db,
            self.user,
            self._violations,
            transferred=self._transferred,
            out_of_turns=not ended,
        ) + getattr(self.user, "failures", [])
        success = not self._outcome
        info.update({"success": success, "failures": list(self._outcome)})
        return float(success), ended, info

    def _message(self, text: str) -> bool:
        self._add({"role": "agent", "content": text})
        if self.user.done:
            return True
        reply: UserReply = self.user.reply(text)
        self._confirmed = self._confirmed or reply.confirms
        self._add({"role": "user", "content": reply.text})
        return False

    def _call(self, tool: Any, arguments: Any) -> tuple[bool, str | None]:
        """Run one tool call; whether it ends the episode, and the error if it failed."""
        self._add({"role": "agent", "tool": tool, "arguments": arguments})
        try:
            check_arguments(tool, arguments)
        except ToolError as error:
            return self._failed(tool, str(error))
        changing = tool in CHANGING_TOOLS
        before = self.db.copy() if changing else self.db
        try:
            result = IMPLEMENTATIONS[tool](self.db, arguments)
        except ToolError as error:
            self.db = before
            return self._failed(tool, str(error))
        except Exception:  # a bug in a tool must not end the episode or leave a trace
            logger.exception("%s: tool %s failed on %r", ENV_ID, tool, arguments)
            self.db = before
            return self._failed(tool, "the airline system could not process this call")
        if changing:
            self._check_policy(before, tool, arguments)
        self._add({"role": "tool", "tool": tool, "result": result})
        if tool == "transfer_to_human":
            self._transferred = True
        return tool in ("transfer_to_human", "end_conversation"), None

    def _failed(self, tool: Any, error: str) -> tuple[bool, str]:
        self._add({"role": "tool", "tool": tool, "error": error})
        return False, error

    def _check_policy(self, before: Any, tool: str, arguments: dict[str, Any]) -> None:
        verdict = check_call(before, tool, arguments, self.instance.user_id)
        broken = [] if verdict.allowed else [f"{tool}: {verdict.rule}"]
        if not self._confirmed:
            broken.append(f"{tool} without the user's confirmation")
        self._confirmed = False
        if broken:
            self._violations.extend(broken)
            self._violating_turns.add(self._steps - 1)

    def _final_info(self) -> dict[str, Any]:
        return {
            "violations": list(self._violations),
            "gold_actions": [call.action() for call in self.instance.gold_actions],
            "requests": [
                {"kind": r.kind, "forbidden": r.forbidden, "rule": r.rule}
                for r in self.instance.requests
            ],
        }

    # -- rendering ------------------------------------------------------------------------

    def _request_states(self) -> list[str]:
        states = []
        for number in range(len(self.instance.requests)):
            if self.user.addressed[number]:
                states.append("refused" if self.user.refused[number] else "addressed")
            else:
                states.append("current" if number == self.user.pointer else "waiting")
        return states

    def _outcome_name(self) -> str:
        if self._outcome is None:
            return "running"
        return "failure" if self._outcome else "success"

    def _render_text(self) -> str:
        title = (
            f"{ENV_ID}: user {self.instance.user_id}, turn {self._steps} of {self.max_steps}, "
            f"requests: {', '.join(self._request_states())}"
        )
        footer = f"outcome: {self._outcome_name()}"
        if self._outcome:
            footer += "\n" + "\n".join(f"  - {reason}" for reason in self._outcome)
        return transcript_text(title, self.events, footer)

    def _render_rgb(self) -> np.ndarray:
        turns = turn_kinds(self.events, self._violating_turns)
        return picture(
            turns,
            self.max_steps,
            self._request_states(),
            self._outcome_name(),
            title=f"{ENV_ID}: user {self.instance.user_id}, turn {self._steps} of {self.max_steps}",
            kinds=[request.kind for request in self.instance.requests],
            events=self.events,
            reason=self._outcome[0] if self._outcome else "",
        )


if AirlineEnv.__doc__:
    AirlineEnv.__doc__ = AirlineEnv.__doc__.replace(
        "{parameter_table}", textwrap.indent(SPACE.table(), "    ").lstrip()
    )
