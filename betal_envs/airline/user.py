"""The rule-based simulated user: deterministic answers from the hidden goal.

The user works through its requests in order, keeping a pointer to the one under way. To
each message of the agent it answers by the first rule that applies:

1. **A question asking to confirm** (``confirm``, ``shall I``, ``proceed``, ``(yes/no)``...):
   it says yes. The environment counts this as the confirmation a change needs.
2. **Questions asking for details** (a sentence that asks and names a detail: user id,
   reservation, reason, payment, passengers, cabin, bags, insurance): it gives them, from
   the request under way or else the first open request that has such a detail.
3. **An outcome** (something was done, the request is refused, the answer to the question is
   stated, or "anything else?"): the request counts as addressed; the user states the next
   one (one at a time), asks the agent to go on (all at once), or says goodbye.
4. **Another question**: it restates the request under way.
5. Otherwise: ``"Okay."``

It also keeps the record the judge reads: which requests were addressed, which refused, and
which questions answered (an answer counts whenever any agent message states it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from betal_envs.airline import phrases
from betal_envs.airline.tasks import AirlineInstance

_SENTENCE = re.compile(r"[^.?!\n]+[.?!]*")
_ASKING = re.compile(
    r"^\s*(please|could|can|would|may|what|which|who|how|when|do|does|did|is|are|tell|give|"
    r"provide|share|let me know|i need|i will need|i'll need)\b",
    re.I,
)
_CONFIRM = re.compile(
    r"\b(confirm|proceed|go ahead|shall i|should i|would you like me to|do you want me to|"
    r"is that (ok|okay|correct|alright|right)|yes/no|yes or no)\b",
    re.I,
)
_ELSE = re.compile(
    r"\b(anything else|something else|any other (request|question)s?|further (help|assistance))\b",
    re.I,
)
_DONE = re.compile(
    r"\b(done|cancell?ed|changed|updated|booked|issued|added|removed|modified|completed|"
    r"successful(ly)?|processed|has been|have been|is now|all set)\b",
    re.I,
)
_REFUSAL = re.compile(
    r"\b(cannot|can't|can not|unable to|not able to|not allowed|not possible|not eligible|"
    r"not permitted|won't be able|must decline|not entitled|am afraid)\b",
    re.I,
)
#: What words in a question ask for each detail.
DETAIL_WORDS: dict[str, re.Pattern[str]] = {
    "user_id": re.compile(r"\buser ?id\b|\buser_id\b|\baccount\b", re.I),
    "reservation": re.compile(
        r"\breservation|\bbooking (id|code|number|reference)|\bwhich trip", re.I
    ),
    "reason": re.compile(r"\breason|\bwhy\b", re.I),
    "payment": re.compile(r"\bpay|\bcard\b|\bcharge", re.I),
    "passengers": re.compile(r"\bpassenger|\btravell?er|\bnames?\b|\bbirth", re.I),
    "cabin": re.compile(r"\bcabin|\bclass\b", re.I),
    "bags": re.compile(r"\bbags?\b|\bbaggage|\bluggage", re.I),
    "insurance": re.compile(r"\binsurance", re.I),
}


def answer_given(answer: str, text: str) -> bool:
    """Whether ``text`` states ``answer`` (a number as a whole number, a word as a word)."""
    plain = text.replace(",", "")
    if answer.isdigit():
        return re.search(rf"(?<![\d.]){answer}(?!\d)", plain) is not None
    return re.search(rf"\b{re.escape(answer)}\b", plain, re.I) is not None


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.findall(text) if s.strip()]


def _is_question(sentence: str) -> bool:
    return sentence.endswith("?") or _ASKING.match(sentence) is not None


@dataclass
class UserReply:
    """What the user says back, and whether it confirms a change."""

    text: str
    confirms: bool = False


class RuleUser:
    """The deterministic user of one instance (see the module docstring)."""

    def __init__(self, instance: AirlineInstance) -> None:
        self.instance = instance
        self.requests = instance.requests
        count = len(self.requests)
        self.pointer = 0
        self.stated = count if instance.all_at_once else 1
        self.done = False
        self.addressed = [False] * count
        self.refused = [False] * count
        self.answered = [False] * count

    def opening(self) -> str:
        return self.instance.opening

    # -- reading the agent ----------------------------------------------------------------

    def asked_details(self, message: str) -> list[str]:
        """The details a message asks for, in the order of :data:`DETAIL_WORDS`.

        A sentence asks when it is a question that reports no outcome; one that also refuses
        must end with a question mark ("I cannot find it; what is the reservation id?").
        """
        questions = [
            s
            for s in _sentences(message)
            if _is_question(s)
            and not _ELSE.search(s)
            and not _DONE.search(s)
            and (s.endswith("?") or not _REFUSAL.search(s))
        ]
        return [
            name for name, words in DETAIL_WORDS.items() if any(words.search(q) for q in questions)
        ]

    def asks_to_confirm(self, message: str) -> bool:
        return any(
            _is_question(s) and _CONFIRM.search(s) and not _ELSE.search(s)
            for s in _sentences(message)
        )

    def note_answers(self, message: str) -> None:
        """Mark every stated question whose answer ``message`` gives."""
        for index in range(self.stated):
            answer = self.requests[index].answer
            if answer is not None and not self.answered[index] and answer_given(answer, message):
                self.answered[index] = True

    # -- replying -------------------------------------------------------------------------

    def reply(self, message: str) -> UserReply:
        """The user's answer to one agent message."""
        if self.done:
            return UserReply("I have nothing else, thank you. Goodbye.")
        self.note_answers(message)
        if self.asks_to_confirm(message):
            return UserReply(phrases.CONFIRM, confirms=True)
        asked = self.asked_details(message)
        if asked:
            return UserReply(" ".join(dict.fromkeys(self._detail(name) for name in asked)))
        request = self.requests[self.pointer]
        refused = _REFUSAL.search(message) is not None
        answered = self.answered[self.pointer]
        if refused or answered or _DONE.search(message) or _ELSE.search(message):
            self.addressed[self.pointer] = True
            self.refused[self.pointer] = refused
            return UserReply(self._advance())
        if any(_is_question(s) for s in _sentences(message)):
            return UserReply(f"What I need is this: {request.core_full}")
        return UserReply("Okay.")

    def _detail(self, name: str) -> str:
        if name == "user_id":
            return phrases.user_id_detail(self.instance.user_id)
        order = [self.pointer, *range(self.stated)]
        for index in order:
            if not self.addressed[index] and name in self.requests[index].details:
                return self.requests[index].details[name]
        return f"I have nothing to say about the {name.replace('_', ' ')} for this request."

    def _advance(self) -> str:
        self.pointer += 1
        if self.pointer == len(self.requests):
            self.done = True
            return phrases.GOODBYE
        if self.instance.all_at_once:
            return phrases.CONTINUE
        self.stated = max(self.stated, self.pointer + 1)
        return f"{phrases.NEXT} {self.requests[self.pointer].statement()}"
