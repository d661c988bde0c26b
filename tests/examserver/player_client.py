"""A scripted candidate browser for API tests: CSRF token, device id and the player's calls."""

from __future__ import annotations

import re

from examserver.delivery.views import DEVICE_COOKIE

DEVICE = "perangkat-uji-0001"


def token_of(client, exam_id: int) -> str:
    html = client.get(f"/ujian/{exam_id}").get_data(as_text=True)
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)


class Player:
    """A scripted browser: the candidate's client with its CSRF token and device id."""

    def __init__(self, client, exam_id: int, device: str = DEVICE):
        self.client, self.exam_id, self.device = client, exam_id, device
        # A real browser's device cookie is its client_id: item reads are checked against it.
        client.set_cookie(DEVICE_COOKIE, device)
        self.token = token_of(client, exam_id)

    def post(self, path: str, payload: dict):
        return self.client.post(f"/api/sesi/{self.exam_id}/{path}", json=payload, headers={"X-CSRFToken": self.token})

    def start(self, **extra):
        return self.post("mulai", {"client_id": self.device, **extra})

    def save(self, *saves, events=None):
        body = {"client_id": self.device, "saves": list(saves)}
        if events is not None:
            body["events"] = events
        return self.post("jawaban", body)

    def item(self, position: int):
        return self.client.get(f"/api/sesi/{self.exam_id}/butir/{position}")

    def state(self):
        return self.client.get(f"/api/sesi/{self.exam_id}/status").get_json()

    def submit(self):
        return self.post("selesai", {"client_id": self.device})
