"""Structured (JSON lines) request logging with a request id."""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid

import orjson
from flask import Flask, g, request

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id and extras.

    Every request writes one such line, so it is built cheaply: the time text is formatted once
    per second, and the line is encoded by orjson (``str`` for what JSON cannot hold)."""

    _second = -1
    _second_text = ""

    def format(self, record: logging.LogRecord) -> str:
        second = int(record.created)
        if second != self._second:
            self._second, self._second_text = second, self.formatTime(record, "%Y-%m-%dT%H:%M:%S")
        data = {
            "time": self._second_text,
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        try:
            data["request_id"] = g.get("request_id")
        except RuntimeError:  # outside a request
            pass
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                data[key] = value
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return orjson.dumps(data, default=str).decode()


def configure_logging(app: Flask) -> None:
    """Send the app's logs as JSON lines to stderr and log every request once."""
    if not app.testing and not any(isinstance(h.formatter, JsonFormatter) for h in app.logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        app.logger.handlers[:] = [handler]
        app.logger.setLevel(logging.INFO)
        app.logger.propagate = False
    access_log = app.logger.getChild("request")

    @app.before_request
    def assign_request_id():
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    def signed_in_user_id() -> int | None:
        """The signed-in user's id as this request's access check found it (no query of its own)."""
        found = g.get("identity")
        return found.user_id if found is not None else None

    @app.after_request
    def log_request(response):
        response.headers["X-Request-ID"] = g.get("request_id", "")
        if not access_log.isEnabledFor(logging.INFO):
            return response
        started = g.get("request_started")
        # The record is made and handled directly: Logger.info would first walk the stack to find
        # the caller's file and line (findCaller), the costliest part of a request's log line.
        record = access_log.makeRecord(
            access_log.name, logging.INFO, __file__, 0, "request", (), None, "log_request",
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2) if started else None,
                "user_id": signed_in_user_id(),
                "remote_addr": request.remote_addr,
            },
        )  # fmt: skip
        access_log.handle(record)
        return response
