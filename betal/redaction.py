"""Keeping API keys out of what the command line prints and logs.

The library never writes a key into a message, and the chat client blanks out a key that a
server echoes in a reply body. Third-party libraries logging at debug level may still show
one (the HTTP stack prints response headers, and a server could echo the key there), so the
command line runs every log record and every error line through :func:`redact` before it
reaches the terminal.
"""

from __future__ import annotations

import logging
import os

#: Environment variables whose values are secrets.
SECRET_VARIABLES: tuple[str, ...] = ("OPENAI_API_KEY",)

#: What stands in for a secret; the chat client writes the same.
REDACTED = "<api key>"

# Shorter values (placeholders such as "EMPTY" for local servers) would blank out words.
_MIN_SECRET_CHARS = 8


def secrets() -> list[str]:
    """The secret values set in the environment now."""
    values = (os.environ.get(name, "") for name in SECRET_VARIABLES)
    return [value for value in values if len(value) >= _MIN_SECRET_CHARS]


def redact(text: str) -> str:
    """``text`` with every secret of :func:`secrets` replaced by :data:`REDACTED`."""
    for secret in secrets():
        text = text.replace(secret, REDACTED)
    return text


class RedactingFilter(logging.Filter):
    """A handler filter that blanks secrets out of a record's message and traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not secrets():
            return True
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def redact_logs(logger: logging.Logger | None = None) -> None:
    """Add a :class:`RedactingFilter` to every handler of ``logger`` (the root when ``None``)."""
    for handler in (logger or logging.getLogger()).handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
