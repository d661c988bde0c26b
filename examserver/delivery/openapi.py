"""The OpenAPI 3.1 description of the candidate API (served at /api/openapi.json)."""

from __future__ import annotations


def _schema(name: str) -> dict:
    """A reference to one of the document's schemas."""
    return {"$ref": f"#/components/schemas/{name}"}


def _answer(description: str, schema: dict) -> dict:
    """A response with a JSON body of ``schema``."""
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict:
    return _answer(description, _schema("Error"))


def _object(**properties: dict) -> dict:
    """A JSON object schema with these properties."""
    return {"type": "object", "properties": properties}


def _operation(
    operation_id: str, summary: str, parameters: list, responses: dict, *, body: dict | None = None, **more: str
) -> dict:
    """One operation; ``body`` is the schema of its required JSON request body, ``more`` e.g. its description."""
    operation: dict[str, object] = {"operationId": operation_id, "summary": summary, **more, "parameters": parameters}
    if body is not None:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    return {**operation, "responses": responses}


def openapi_document() -> dict:
    """The document; paths, operationIds and schemas of the player's API."""
    integer, string, boolean = {"type": "integer"}, {"type": "string"}, {"type": "boolean"}
    session_id = {"name": "session_id", "in": "path", "required": True, "schema": {"type": "integer"}}
    csrf = {
        "name": "X-CSRFToken",
        "in": "header",
        "required": True,
        "schema": {"type": "string"},
        "description": "The CSRF token of the page (meta csrf-token).",
    }
    device = {
        "name": "X-Client-Id",
        "in": "header",
        "required": False,
        "schema": {"type": "string"},
        "description": "The device's client_id; without it, the browser's device cookie. Items go only to the "
        "device holding the running session (409 other_device, logged for the proctor).",
    }
    position = {"name": "position", "in": "path", "required": True, "schema": {"type": "integer", "minimum": 1}}
    ids = {
        "name": "id",
        "in": "query",
        "required": False,
        "schema": {"type": "array", "items": {"type": "integer", "minimum": 0}, "maxItems": 100},
        "style": "form",
        "explode": True,
    }
    state = {"200": _answer("Session state", _schema("SessionState"))}
    common_errors = {
        "400": _error("Malformed request"),
        "401": _error("Not signed in"),
        "403": _error("Not allowed (wrong PIN, awaiting authorisation, CSRF)"),
        "404": _error("No such session for this candidate"),
        "409": _error("Not possible now (ended, other device, paused, time up, adaptive_locked)"),
    }
    items = {
        "type": "object",
        "properties": {"items": {"type": "array", "items": _schema("Item")}, "server_time": {"type": "string"}},
    }
    client_id = {"type": "object", "required": ["client_id"], "properties": {"client_id": {"type": "string"}}}
    ended = {
        "type": "object",
        "required": ["ended"],
        "properties": {"ended": {"type": "array", "items": {"type": "integer"}}},
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Ujian ASN candidate API",
            "version": "1.0",
            "description": "Used by the exam player. Times are UTC (ISO 8601); the server owns the clock. "
            "Option ids are display numbers ('1'..'n') valid only within one session.",
        },
        "servers": [{"url": "/api"}],
        "paths": {
            "/sesi/{session_id}/mulai": {
                "post": _operation(
                    "startSession",
                    "Start or resume the exam",
                    [session_id, csrf],
                    {
                        **state,
                        **common_errors,
                        "429": _error("Too many wrong start PINs: start locked for a few minutes (pin_locked)"),
                    },
                    body=_schema("StartRequest"),
                )
            },
            "/sesi/{session_id}/status": {
                "get": _operation(
                    "getSessionState", "Clock, status and saved answers", [session_id], {**state, **common_errors}
                )
            },
            "/sesi/{session_id}/jam": {
                "get": _operation(
                    "getSessionClock",
                    "Clock and status only (the player's poll while paused, blocked or at time up)",
                    [session_id],
                    {"200": _answer("Session clock", _schema("SessionClock")), **common_errors},
                )
            },
            "/sesi/{session_id}/butir/{position}": {
                "get": _operation(
                    "getItem",
                    "One item, without its key",
                    [session_id, device, position],
                    {"200": _answer("The item", _schema("Item")), **common_errors},
                    description="In an adaptive session, asking for the position after the last one given "
                    "chooses the next item by a CAT step (409 adaptive_answer_first until the last one is "
                    "answered); asking again returns the same item.",
                )
            },
            "/sesi/{session_id}/butir": {
                "get": _operation(
                    "getAllItems",
                    "Every item of a fixed or random form (offline use)",
                    [session_id, device],
                    {"200": _answer("Items", items), **common_errors},
                )
            },
            "/sesi/{session_id}/jawaban": {
                "post": _operation(
                    "saveAnswer",
                    "Save answers (idempotent; acknowledged after commit)",
                    [session_id, csrf],
                    {"200": _answer("What the server holds now", _schema("SaveResponse")), **common_errors},
                    body=_schema("SaveRequest"),
                )
            },
            "/sesi/{session_id}/selesai": {
                "post": _operation(
                    "submitSession",
                    "End the exam",
                    [session_id, csrf],
                    {
                        "200": _answer("Ended; the result if the schedule shows scores", {"type": "object"}),
                        **common_errors,
                    },
                    body=client_id,
                )
            },
            "/sesi/berakhir": {
                "get": _operation(
                    "endedSessions",
                    "Which sessions stored in this browser are over (the player's copy can go)",
                    [ids],
                    {"200": _answer("The ids that are over", ended)},
                    description="Every id but the signed-in candidate's own unended sessions (with nobody "
                    "signed in: a running session held by this browser's device cookie) is listed as ended.",
                )
            },
        },
        "components": {
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": {
                        "code": {"type": "string"},
                        "message": {"type": "string", "description": "Translated"},
                        "server_time": {"type": "string"},
                    },
                },
                "StartRequest": {
                    "type": "object",
                    "required": ["client_id"],
                    "properties": {
                        "client_id": {"type": "string", "minLength": 8, "maxLength": 64},
                        "pin": {"type": "string", "maxLength": 20},
                    },
                },
                "SessionState": {
                    "type": "object",
                    "properties": {
                        "session_id": {"type": "integer"},
                        "status": {
                            "type": "string",
                            "enum": ["scheduled", "in_progress", "submitted", "expired", "terminated"],
                        },
                        "server_time": {"type": "string"},
                        "deadline": {"type": ["string", "null"]},
                        "remaining_seconds": {"type": "number"},
                        "paused": {"type": "boolean"},
                        "item_count": {"type": "integer"},
                        "last_seq": {"type": "integer"},
                        "answers": {"type": "array", "items": {"type": "object"}},
                        "mode": {"type": "string", "enum": ["fixed", "random", "adaptive"]},
                        "reached": {
                            "type": "integer",
                            "description": "Items given so far; in adaptive mode each next one is chosen on request",
                        },
                        "messages": {"$ref": "#/components/schemas/ProctorMessages"},
                        "device_change_allowed": {
                            "type": "boolean",
                            "description": "The proctor allowed a device change: a device refused as "
                            "other_device starts again (POST /mulai) to take the session over",
                        },
                        "items": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/Item"},
                            "description": "Only in the reply of a first start of a fixed or random form: "
                            "every item drawn, as GET /butir gives them",
                        },
                    },
                },
                "SessionClock": {
                    "type": "object",
                    "properties": {
                        "status": {
                            "type": "string",
                            "enum": ["scheduled", "in_progress", "submitted", "expired", "terminated"],
                        },
                        "server_time": {"type": "string"},
                        "remaining_seconds": {"type": "number"},
                        "paused": {"type": "boolean"},
                        "device_change_allowed": {"type": "boolean"},
                    },
                },
                "ProctorMessages": {
                    "type": "array",
                    "description": "Proctor messages and warnings, newest last",
                    "items": _object(id=integer, text=string, at=string),
                },
                "Item": {
                    "type": "object",
                    "properties": {
                        "position": {"type": "integer"},
                        "section": {"type": "string"},
                        "kind": {"type": "string", "enum": ["single", "multiple", "numeric"]},
                        "stem": {"type": "string", "description": "Sanitised HTML"},
                        "options": {"type": "array", "items": _object(id=string, html=string)},
                        "response": {},
                        "flagged": {"type": "boolean"},
                        "seq": {"type": "integer"},
                    },
                },
                "SaveRequest": {
                    "type": "object",
                    "required": ["client_id", "saves"],
                    "properties": {
                        "client_id": {"type": "string"},
                        "saves": {
                            "type": "array",
                            "minItems": 1,
                            "maxItems": 50,
                            "items": {
                                "type": "object",
                                "required": ["position", "seq"],
                                "properties": {
                                    "position": {"type": "integer"},
                                    "seq": {"type": "integer", "minimum": 0},
                                    "response": {"description": "Option id, list of option ids, number text, or null"},
                                    "flagged": {"type": "boolean"},
                                    "answered_at": {"type": "string"},
                                },
                            },
                        },
                        "events": {
                            "type": "array",
                            "items": {"type": "object"},
                            "description": "Integrity events, piggy-backed on saves",
                        },
                    },
                },
                "SaveResponse": {
                    "type": "object",
                    "properties": {
                        "saved": {"type": "array", "items": _object(position=integer, seq=integer, applied=boolean)},
                        "server_time": {"type": "string"},
                        "remaining_seconds": {"type": "number"},
                        "messages": {
                            "$ref": "#/components/schemas/ProctorMessages",
                            "description": "The proctor's newest message, when there is one",
                        },
                    },
                },
            }
        },
    }
