"""The OpenAPI 3.1 description of the candidate API (served at /api/openapi.json)."""

from __future__ import annotations


def _error(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def openapi_document() -> dict:
    """The document; paths, operationIds and schemas of the player's API."""
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
    state = {
        "200": {
            "description": "Session state",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SessionState"}}},
        }
    }
    common_errors = {
        "400": _error("Malformed request"),
        "401": _error("Not signed in"),
        "403": _error("Not allowed (wrong PIN, awaiting authorisation, CSRF)"),
        "404": _error("No such session for this candidate"),
        "409": _error("Not possible now (ended, other device, paused, time up, adaptive_locked)"),
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
                "post": {
                    "operationId": "startSession",
                    "summary": "Start or resume the exam",
                    "parameters": [session_id, csrf],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/StartRequest"}}},
                    },
                    "responses": {
                        **state,
                        **common_errors,
                        "429": _error("Too many wrong start PINs: start locked for a few minutes (pin_locked)"),
                    },
                }
            },
            "/sesi/{session_id}/status": {
                "get": {
                    "operationId": "getSessionState",
                    "summary": "Clock, status and saved answers",
                    "parameters": [session_id],
                    "responses": {**state, **common_errors},
                }
            },
            "/sesi/{session_id}/butir/{position}": {
                "get": {
                    "operationId": "getItem",
                    "summary": "One item, without its key",
                    "description": "In an adaptive session, asking for the position after the last one given "
                    "chooses the next item by a CAT step (409 adaptive_answer_first until the last one is "
                    "answered); asking again returns the same item.",
                    "parameters": [
                        session_id,
                        device,
                        {
                            "name": "position",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "integer", "minimum": 1},
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": "The item",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Item"}}},
                        },
                        **common_errors,
                    },
                }
            },
            "/sesi/{session_id}/butir": {
                "get": {
                    "operationId": "getAllItems",
                    "summary": "Every item of a fixed or random form (offline use)",
                    "parameters": [session_id, device],
                    "responses": {
                        "200": {
                            "description": "Items",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "properties": {
                                            "items": {
                                                "type": "array",
                                                "items": {"$ref": "#/components/schemas/Item"},
                                            },
                                            "server_time": {"type": "string"},
                                        },
                                    }
                                }
                            },
                        },
                        **common_errors,
                    },
                }
            },
            "/sesi/{session_id}/jawaban": {
                "post": {
                    "operationId": "saveAnswer",
                    "summary": "Save answers (idempotent; acknowledged after commit)",
                    "parameters": [session_id, csrf],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SaveRequest"}}},
                    },
                    "responses": {
                        "200": {
                            "description": "What the server holds now",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/SaveResponse"}}},
                        },
                        **common_errors,
                    },
                }
            },
            "/sesi/{session_id}/selesai": {
                "post": {
                    "operationId": "submitSession",
                    "summary": "End the exam",
                    "parameters": [session_id, csrf],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["client_id"],
                                    "properties": {"client_id": {"type": "string"}},
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": {
                            "description": "Ended; the result if the schedule shows scores",
                            "content": {"application/json": {"schema": {"type": "object"}}},
                        },
                        **common_errors,
                    },
                }
            },
            "/sesi/berakhir": {
                "get": {
                    "operationId": "endedSessions",
                    "summary": "Which sessions stored in this browser are over (the player's copy can go)",
                    "description": "Every id but the signed-in candidate's own unended sessions (with nobody "
                    "signed in: a running session held by this browser's device cookie) is listed as ended.",
                    "parameters": [
                        {
                            "name": "id",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "array", "items": {"type": "integer", "minimum": 0}, "maxItems": 100},
                            "style": "form",
                            "explode": True,
                        }
                    ],
                    "responses": {
                        "200": {
                            "description": "The ids that are over",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "required": ["ended"],
                                        "properties": {"ended": {"type": "array", "items": {"type": "integer"}}},
                                    }
                                }
                            },
                        }
                    },
                }
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
                    },
                },
                "ProctorMessages": {
                    "type": "array",
                    "description": "Proctor messages and warnings, newest last",
                    "items": {
                        "type": "object",
                        "properties": {
                            "id": {"type": "integer"},
                            "text": {"type": "string"},
                            "at": {"type": "string"},
                        },
                    },
                },
                "Item": {
                    "type": "object",
                    "properties": {
                        "position": {"type": "integer"},
                        "section": {"type": "string"},
                        "kind": {"type": "string", "enum": ["single", "multiple", "numeric"]},
                        "stem": {"type": "string", "description": "Sanitised HTML"},
                        "options": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {"id": {"type": "string"}, "html": {"type": "string"}},
                            },
                        },
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
                        "saved": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "position": {"type": "integer"},
                                    "seq": {"type": "integer"},
                                    "applied": {"type": "boolean"},
                                },
                            },
                        },
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
