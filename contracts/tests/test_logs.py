"""The JSON line of contracts/logs.py: one object a line, a trace included, with the bound correlation id
(or the one the call names), and the shape an incoming id must have."""
import io
import json
import logging
import sys
import threading

from contracts import logs


def written(*calls) -> list[dict]:
    stream = io.StringIO()
    logger = logging.getLogger("test.contracts.logs")
    hooks = sys.excepthook, threading.excepthook               # set by logs.handler for the whole process
    logger.handlers, logger.propagate, logger.level = [logs.handler("web", stream)], False, logging.INFO
    try:
        for call in calls:
            call(logger)
    finally:
        logs.bind(None)
        sys.excepthook, threading.excepthook = hooks
        logging.captureWarnings(False)
    text = stream.getvalue()
    assert text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


def test_one_json_object_a_line_with_the_bound_id():
    def failing(logger):
        try:
            raise ValueError("deux\nlignes")
        except ValueError:
            logger.exception("échec")

    first, second, third = written(lambda logger: logger.info("sans %s", "requête", extra={"status": 200}),
                                   lambda logger: logs.bind("0123456789abcdef") or failing(logger),
                                   lambda logger: logger.info("envoi", extra={"correlation_id": "fedcba9876543210"}))
    assert {key: first[key] for key in ("level", "process", "logger", "message", "correlation_id", "status")} == {
        "level": "INFO", "process": "web", "logger": "test.contracts.logs", "message": "sans requête",
        "correlation_id": None, "status": 200}
    assert first["time"].endswith("+00:00")
    assert second["correlation_id"] == "0123456789abcdef" and "ValueError: deux\nlignes" in second["exc_info"]
    assert third["correlation_id"] == "fedcba9876543210"         # an email sent for the request that queued it


def test_an_incoming_id_is_kept_only_with_the_expected_shape():
    for kept in ("0123456789abcdef0123456789abcdef", "3f2b8c1e-6a4d-4e8b-9c1f-2d3e4f5a6b7c"):
        assert logs.accept(kept) == kept
    for refused in (None, "", "court", "jean.dupont@exemple.test", "a" * 65, "0123456789abcdef\n{}", 12345):
        assert len(logs.accept(refused)) == 32 and logs.accept(refused) != refused
