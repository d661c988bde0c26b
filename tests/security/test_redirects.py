"""No open redirects: every ``next`` a user can send leads to a path on this site only."""

from __future__ import annotations

import pytest

from tests.conftest import login
from tests.security.conftest import signed_in, token_of

HOSTILE = ["https://jahat.example/", "//jahat.example/", "/\\jahat.example/", "javascript:alert(1)", "http:/jahat"]


@pytest.mark.parametrize("target", HOSTILE)
def test_sign_in_never_redirects_off_site(client, make_user, target):
    user = make_user("candidate")
    response = login(client, user.email, next=target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/peserta/"


@pytest.mark.parametrize("target", HOSTILE)
def test_proctor_action_never_redirects_off_site(app, world, target):
    client = signed_in(app, world.watcher)
    response = client.post(
        f"/pengawas/sesi/{world.exam_a.id}/tindakan",
        data={"csrf_token": token_of(client), "action": "message", "category": "other.other",
              "message": "Harap tenang", "next": target},
    )  # fmt: skip
    assert response.status_code == 303
    assert response.headers["Location"] == f"/pengawas/jadwal/{world.exam_a.schedule_id}"


def test_proctor_action_returns_to_a_local_page(app, world):
    client = signed_in(app, world.watcher)
    page = f"/pengawas/sesi/{world.exam_a.id}"
    response = client.post(
        f"/pengawas/sesi/{world.exam_a.id}/tindakan",
        data={"csrf_token": token_of(client), "action": "message", "category": "other.other",
              "message": "Harap tenang", "next": page},
    )  # fmt: skip
    assert response.headers["Location"] == page
