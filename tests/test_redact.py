"""Credentials never leave through logs, tracebacks included."""

from __future__ import annotations

import io
import json
import logging

import pytest

from pipeline.redact import configure_logging, redact

SECRET = "ghp_0123456789abcdefSECRET"


@pytest.fixture
def captured():
    stream = io.StringIO()
    yield stream
    logging.getLogger().handlers.clear()


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_logged_traceback_is_redacted_too(captured, fmt):
    configure_logging(logging.INFO, fmt, [SECRET])
    logging.getLogger().handlers[0].setStream(captured)
    try:
        raise RuntimeError(f"GET https://api.example/x?access_token={SECRET} failed for {SECRET}")
    except RuntimeError:
        logging.getLogger("curate.test").exception("request failed with token %s", SECRET)
    text = captured.getvalue()
    assert SECRET not in text
    assert "RuntimeError" in text and "request failed with token ***" in text
    if fmt == "json":
        assert "Traceback" in json.loads(text)["exception"]


def test_key_parameters_and_authorization_headers_are_masked_even_when_unknown():
    text = "GET /v3/videos?part=snippet&key=AIzaUNKNOWN&alt=json {'Authorization': 'token abc123'}"
    assert redact(text) == "GET /v3/videos?part=snippet&key=***&alt=json {'Authorization': 'token ***'}"
