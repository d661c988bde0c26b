"""The account page names each signed-in device as a person would ("Chrome di Android"), not by
its browser's raw identification string (issue 19: no code-like text on a page a person reads)."""

from __future__ import annotations

import re

import pytest
from flask_babel import force_locale

from examserver.auth.devices import describe_device
from tests.conftest import csrf_token, login

CHROME_ANDROID = (
    "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36"
)
FIREFOX_LINUX = "Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0"


@pytest.mark.parametrize(
    "user_agent,shown",
    [
        (CHROME_ANDROID, "Chrome di Android"),
        (FIREFOX_LINUX, "Firefox di Linux"),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0", "Firefox di Windows"),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.51",
            "Edge di Windows",
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "Version/17.4 Mobile/15E148 Safari/604.1",
            "Safari di iPhone",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "Version/17.4 Safari/605.1.15",
            "Safari di macOS",
        ),
        (
            "Mozilla/5.0 (Linux; Android 14; SM-A546E) AppleWebKit/537.36 (KHTML, like Gecko) "
            "SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36",
            "Samsung Internet di Android",
        ),
        (
            "Mozilla/5.0 (Linux; Android 13) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 "
            "Mobile Safari/537.36 OPR/79.0.4195.76917",
            "Opera di Android",
        ),
        (
            "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 Chrome/124.0.0.0 Safari/537.36",
            "Chrome di ChromeOS",
        ),
        ("python-requests/2.31.0", "Perangkat tidak dikenal"),
        ("", "Perangkat tidak dikenal"),
        (None, "Perangkat tidak dikenal"),
    ],
)
def test_a_device_is_named_by_its_browser_and_system(app, user_agent, shown):
    with app.test_request_context():
        assert describe_device(user_agent) == shown


def test_a_device_is_named_in_the_readers_language(app):
    with app.test_request_context(), force_locale("en"):
        assert describe_device(CHROME_ANDROID) == "Chrome on Android"
        assert describe_device("curl/8.5.0") == "Unknown device"


def test_the_account_page_names_devices_and_keeps_the_raw_string_out_of_sight(app, client, make_user):
    user = make_user("candidate")
    client.environ_base["HTTP_USER_AGENT"] = CHROME_ANDROID
    login(client, user.email)
    other = app.test_client()
    other.environ_base["HTTP_USER_AGENT"] = FIREFOX_LINUX
    login(other, user.email)
    login(app.test_client(), user.email)  # the test client's own string: "Werkzeug/3..."
    page = client.get("/akun").get_data(as_text=True)
    visible = re.sub(r'title="[^"]*"', "", page)
    assert "Chrome di Android" in visible and "Firefox di Linux" in visible and "Perangkat tidak dikenal" in visible
    assert "Mozilla/5.0" not in visible and "Werkzeug" not in visible
    assert f'title="{FIREFOX_LINUX}"' in page  # the raw string, for whoever hovers over it
    client.post("/bahasa", data={"csrf_token": csrf_token(client, "/akun"), "lang": "en", "next": "/akun"})
    english = client.get("/akun").get_data(as_text=True)
    assert "Chrome on Android" in english and "Firefox on Linux" in english
