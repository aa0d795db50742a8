"""An on-disk cache of chat replies, so an identical request is answered without a server.

The key is the SHA-256 of everything that decides the reply: model, messages, response
format, tools, temperature, reasoning effort and token limit, written as canonical JSON. The
API key and the server address are not part of it: the same request to a mirror of the same
model is the same request, and secrets never reach the disk. The value is the server's reply
JSON as received (with the API key blanked out, should the server echo it), so a cached reply
is read by the same code as a fresh one.

Files live under ``<directory>/chat/<first two hex digits>/<key>.json`` and are written to a
temporary file first and moved into place, so a crash or a concurrent writer never leaves a
half-written entry. An unreadable entry is treated as missing.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

#: Environment variable naming the cache directory.
CACHE_DIR_ENV = "BETAL_CACHE_DIR"

#: Bumped when the key or the stored layout changes, so old entries are ignored.
CACHE_VERSION = 1

#: The request fields that make up the key.
KEY_FIELDS: tuple[str, ...] = (
    "model",
    "messages",
    "response_format",
    "tools",
    "temperature",
    "reasoning_effort",
    "max_tokens",
)


def default_cache_dir() -> Path:
    """``$BETAL_CACHE_DIR`` when set, else ``~/.cache/betal``."""
    configured = os.environ.get(CACHE_DIR_ENV)
    return Path(configured).expanduser() if configured else Path.home() / ".cache" / "betal"


def request_key(request: Mapping[str, Any]) -> str:
    """The cache key of a request: SHA-256 over its :data:`KEY_FIELDS` as canonical JSON.

    Fields outside :data:`KEY_FIELDS` are ignored, so nothing else (a key, a URL, a timeout)
    can leak into the key or change it.
    """
    keyed = {name: request.get(name) for name in KEY_FIELDS}
    keyed["cache_version"] = CACHE_VERSION
    text = json.dumps(keyed, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    # A lone surrogate (from a garbled reply in the history) must not make the key fail.
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class ReplyCache:
    """Reply JSON stored by request key in one directory.

    Args:
        directory: the cache root; created on first write.
    """

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory).expanduser()

    def path(self, key: str) -> Path:
        """Where the entry for ``key`` lives."""
        return self.directory / "chat" / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored reply JSON for ``key``, or ``None`` when absent or unreadable."""
        path = self.path(key)
        try:
            entry = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as error:
            logger.warning("ignoring unreadable cache entry %s: %s", path, error)
            return None
        if not isinstance(entry, dict) or entry.get("cache_version") != CACHE_VERSION:
            logger.warning("ignoring cache entry %s written in another layout", path)
            return None
        reply = entry.get("reply")
        if not isinstance(reply, dict):
            logger.warning("ignoring cache entry %s without a reply object", path)
            return None
        return reply

    def put(self, key: str, reply: Mapping[str, Any]) -> None:
        """Store ``reply`` under ``key`` atomically; a failure to write is logged, not raised."""
        path = self.path(key)
        entry = {"cache_version": CACHE_VERSION, "reply": dict(reply)}
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as file:
                    # Escaped, so that lone surrogates in a garbled reply can be written.
                    json.dump(entry, file)
                os.replace(temporary, path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except (OSError, ValueError) as error:
            logger.warning("could not write cache entry %s: %s", path, error)
