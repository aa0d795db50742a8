"""The spatial grid in words: the prompt a student reads and the answers it writes.

The prompt states every rule a person needs to solve the instance with pencil and paper, then
the starting particles, the numbered operations and the question with its exact answer
format. Answers are read leniently and judged strictly: a reply may reason at length and
write the answer as ``(3, 4)``, ``row 3, column 4``, ``3,4``, ``N`` or ``north``; the reader
takes the first answer after the last "answer:" (or "answer is") marker, and without a marker
the last answer-looking thing in the reply.
"""

from __future__ import annotations

import re

from betal_envs.spatial_grid.generator import (
    BOARD_IDLE_WORDINGS,
    FACING,
    PARTICLE_IDLE_WORDINGS,
    POSITION,
    Answer,
    GridInstance,
)
from betal_envs.spatial_grid.rules import (
    DIRECTIONS,
    IDLE,
    MOVE,
    RELATIVE_MOVES,
    ROTATE,
    SHIFT,
    TURN,
    Operation,
)

#: Particle ``i`` is called ``PARTICLE_NAMES[i]``.
PARTICLE_NAMES = "ABCDEFGH"

#: Distractor sentences; each mentions a change that does not happen.
PARTICLE_IDLE: tuple[str, ...] = (
    "Particle {p} looks to its left without moving or turning.",
    "Particle {p} looks to its right without moving or turning.",
    *(
        f"Particle {{p}} thinks about moving one cell {d} but stays where it is."
        for d in DIRECTIONS
    ),
    "Particle {p} thinks about turning 90 degrees clockwise but keeps its facing.",
    "Particle {p} waits for a moment.",
)
BOARD_IDLE: tuple[str, ...] = (
    *(f"The whole board is about to shift one cell {d}, but nothing moves." for d in DIRECTIONS),
    "The whole board is about to rotate 180 degrees, but nothing moves.",
)
if len(PARTICLE_IDLE) != PARTICLE_IDLE_WORDINGS or len(BOARD_IDLE) != BOARD_IDLE_WORDINGS:
    raise ImportError("the distractor wordings and the generator's counts of them disagree")

_RULES = """\
Rules:
- "moves one cell north/east/south/west": the particle moves one cell in that direction on \
the board; its facing does not change.
- "moves one cell forward/backward/to its left/to its right": the direction is taken from the \
particle's facing (forward is the way it faces, to its right is 90 degrees clockwise from \
that, to its left 90 degrees counterclockwise); its facing does not change.
- "turns N degrees clockwise/counterclockwise": the particle stays in its cell and its facing \
turns by that angle.
- "The whole board shifts one cell D": every particle moves one cell in direction D.
- "The whole board rotates N degrees clockwise/counterclockwise about its centre": every \
particle turns with the board, so both its cell and its facing turn by that angle.
- Sentences in which nothing actually happens change nothing.
"""

_WRAP = (
    "- Edges wrap around: a particle that moves off one edge comes back in on the opposite "
    "edge, in the same row or column.\n"
)
_WALLS = (
    "- Edges are walls: a move that would take a particle off the board leaves that particle "
    "where it is, facing as before (in a board shift, the other particles still move).\n"
)

_FORMATS = {
    POSITION: 'End your reply with the line "Answer: (row, column)", for example "Answer: (3, 4)".',
    FACING: 'End your reply with the line "Answer: D" where D is north, east, south or west, '
    'for example "Answer: south".',
}
_RELATIVE_FORMAT = (
    'End your reply with the line "Answer: (rows, columns)", for example "Answer: (-1, 2)".'
)


def name(particle: int) -> str:
    """The letter that names a particle in the prompt."""
    return PARTICLE_NAMES[particle]


def describe_operation(operation: Operation) -> str:
    """One operation as the sentence the prompt numbers."""
    kind, amount = operation.kind, operation.amount
    if kind == MOVE:
        where = RELATIVE_MOVES[amount] if operation.relative else DIRECTIONS[amount]
        if where in ("left", "right"):
            where = f"to its {where}"
        return f"Particle {name(operation.particle)} moves one cell {where}."
    if kind in (TURN, ROTATE):
        sense = "clockwise" if operation.clockwise else "counterclockwise"
        degrees = 90 * (amount if operation.clockwise else 4 - amount)
        if kind == TURN:
            return f"Particle {name(operation.particle)} turns {degrees} degrees {sense}."
        return f"The whole board rotates {degrees} degrees {sense} about its centre."
    if kind == SHIFT:
        return f"The whole board shifts one cell {DIRECTIONS[amount]}."
    if kind == IDLE and operation.particle < 0:
        return BOARD_IDLE[amount]
    return PARTICLE_IDLE[amount].format(p=name(operation.particle))


def question_text(instance: GridInstance) -> str:
    """The question and its answer format."""
    subject = name(instance.subject)
    if instance.question == POSITION:
        return f"Question: What is the final position of particle {subject}?\n" + _FORMATS[POSITION]
    if instance.question == FACING:
        return f"Question: Which way does particle {subject} face at the end?\n" + _FORMATS[FACING]
    other = name(instance.other)
    plain = " (plain differences of the numbers, not counted around wrapped edges)"
    return (
        f"Question: Where is particle {other} relative to particle {subject} at the end? "
        f"Give (rows, columns): rows is the row of {other} minus the row of {subject} "
        f"(positive when {other} is below {subject}), columns is the column of {other} minus "
        f"the column of {subject} (positive when {other} is to the right of {subject})"
        f"{plain if instance.wrap else ''}.\n{_RELATIVE_FORMAT}"
    )


def prompt(instance: GridInstance) -> str:
    """The whole instance as a person (or an LLM) would read it."""
    last = instance.size - 1
    lines = [
        "Spatial reasoning puzzle.",
        "",
        f"The board is a {instance.size}x{instance.size} grid. Rows are numbered 0 to {last} "
        f"from top to bottom and columns 0 to {last} from left to right; a cell is written "
        "(row, column). North is up (towards row 0), east is right (towards higher columns), "
        "south is down and west is left. Each particle stands in one cell and faces north, "
        "east, south or west; several particles may share a cell.",
        "",
        _RULES + (_WRAP if instance.wrap else _WALLS),
        "Starting positions:",
    ]
    for i, particle in enumerate(instance.start):
        lines.append(
            f"- Particle {name(i)} at ({particle.row}, {particle.col}), "
            f"facing {DIRECTIONS[particle.facing]}."
        )
    lines += ["", "Operations, in order:"]
    lines += [f"{i}. {describe_operation(op)}" for i, op in enumerate(instance.operations, 1)]
    lines += ["", question_text(instance)]
    return "\n".join(lines)


def answer_format(question: str) -> str:
    """How a reply must end for a question kind (safe to show before the answer)."""
    return _FORMATS.get(question, _RELATIVE_FORMAT)


def format_answer(answer: Answer) -> str:
    """The canonical text of an answer: ``(3, 4)``, ``(-1, 2)`` or ``north``."""
    if isinstance(answer, str):
        return answer
    return f"({answer[0]}, {answer[1]})"


# -- reading answers ----------------------------------------------------------------------

_NUMBER = r"([+-]?\d+)"
_DASHES = re.compile("[\u2212\u2012\u2013\ufe63\uff0d](?=\\s*\\d)")
_MARKER = re.compile(r"\banswer\b\**\s*(?:is\b|[:=])", re.IGNORECASE)
_ROW_COL = re.compile(
    rf"\brows?\s*[:=]?\s*{_NUMBER}\s*(?:,|;|and)?\s*col(?:umn)?s?\s*[:=]?\s*{_NUMBER}",
    re.IGNORECASE,
)
_COL_ROW = re.compile(
    rf"\bcol(?:umn)?s?\s*[:=]?\s*{_NUMBER}\s*(?:,|;|and)?\s*rows?\s*[:=]?\s*{_NUMBER}",
    re.IGNORECASE,
)
_PAIR = re.compile(rf"(?<![\w.]){_NUMBER}\s*,\s*{_NUMBER}(?![\w.])")
_DIRECTION = re.compile(r"\b(north|east|south|west)\b", re.IGNORECASE)
_LETTER = re.compile(r"^[\s*`\"'(\[]*([NESW])[\s*`\"'.)\]]*$", re.IGNORECASE)
_LETTERS = {"n": "north", "e": "east", "s": "south", "w": "west"}


def _choose(found: list[tuple[int, int, Answer]], text: str) -> Answer | None:
    """The first candidate after the last answer marker, else the last candidate."""
    if not found:
        return None
    markers = list(_MARKER.finditer(text))
    if markers:
        after = [c for c in found if c[0] >= markers[-1].end()]
        if after:
            return min(after, key=lambda c: (c[0], -c[1]))[2]
    return max(found, key=lambda c: (c[1], -c[0]))[2]


def parse_pair(text: str) -> tuple[int, int] | None:
    """Read a ``(row, column)`` or ``(rows, columns)`` pair out of free text."""
    text = _DASHES.sub("-", text)
    found: list[tuple[int, int, Answer]] = []
    for pattern, swapped in ((_ROW_COL, False), (_COL_ROW, True), (_PAIR, False)):
        for match in pattern.finditer(text):
            first, second = int(match.group(1)), int(match.group(2))
            pair = (second, first) if swapped else (first, second)
            found.append((match.start(), match.end(), pair))
    answer = _choose(found, text)
    return answer if isinstance(answer, tuple) else None


def parse_direction(text: str) -> str | None:
    """Read a facing (a direction word, or one letter N/E/S/W standing alone)."""
    found: list[tuple[int, int, Answer]] = [
        (m.start(), m.end(), m.group(1).lower()) for m in _DIRECTION.finditer(text)
    ]
    # A lone letter counts only as the whole reply or the first line after the last marker.
    markers = list(_MARKER.finditer(text))
    start = markers[-1].end() if markers else 0
    lines = text[start:].strip().splitlines()
    alone = lines[0] if markers and lines else text.strip()
    letter = _LETTER.match(alone)
    if letter:
        found.append((start, len(text), _LETTERS[letter.group(1).lower()]))
    answer = _choose(found, text)
    return answer if isinstance(answer, str) else None
