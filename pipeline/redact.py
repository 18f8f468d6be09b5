"""Keep credentials out of everything curate prints or logs.

Client libraries echo request URLs in errors and debug logs (googleapiclient puts
`key=` in the query string), so every line on its way out passes here.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence

_KEY_PARAM = re.compile(r"(?i)([?&](?:key|access_token|token|api_key)=)[^&\s\"'<>]+")
_AUTH_HEADER = re.compile(r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?(?:token|bearer)\s+)[^\s'\"]+")
MASK = "***"


def redact(text: str, secrets: Sequence[str] = ()) -> str:
    """`text` with every known secret and every `key=`/token-looking parameter masked."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    text = _KEY_PARAM.sub(rf"\g<1>{MASK}", text)
    return _AUTH_HEADER.sub(rf"\g<1>{MASK}", text)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message (and the traceback, if any)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


class RedactingFormatter(logging.Formatter):
    """Redacts the whole formatted line, traceback included, of the formatter it wraps."""

    def __init__(self, inner: logging.Formatter, secrets: Sequence[str]) -> None:
        super().__init__()
        self.inner, self.secrets = inner, list(secrets)

    def format(self, record: logging.LogRecord) -> str:
        return redact(self.inner.format(record), self.secrets)


def configure_logging(level: int, fmt: str, secrets: Sequence[str]) -> None:
    """One stderr handler for the whole process, every record redacted."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    handler = logging.StreamHandler()
    inner = JsonFormatter() if fmt == "json" else logging.Formatter("%(levelname)s %(name)s: %(message)s")
    handler.setFormatter(RedactingFormatter(inner, secrets))
    root.addHandler(handler)
    root.setLevel(level)
    # PyGithub adds its own INFO handler on import; googleapiclient logs full URLs at DEBUG;
    # urllib3 warns of each retry, which curate's own one line per link already sums up:
    # their warnings show with --verbose, their INFO with --debug
    quiet = {logging.DEBUG: logging.INFO, logging.INFO: logging.WARNING}.get(level, max(level, logging.ERROR))
    for noisy in ("github", "googleapiclient", "urllib3", "httpx", "httpcore", "arxiv"):
        logging.getLogger(noisy).setLevel(quiet)
    # Alembic's INFO (a line per plugin it loads, per migration it runs) is for --debug; the
    # store's own line says what an upgrade did
    logging.getLogger("alembic").setLevel(logging.DEBUG if level <= logging.DEBUG else logging.WARNING)
