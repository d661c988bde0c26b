"""A signed-in device as a person names it ("Chrome di Android"), read from its browser's
identification string (the User-Agent header kept with each login session).

Only the browsers and systems people use to sit an exam or run one are told apart; anything else
is an unknown device. The order of the rules matters: most browsers also name the ones they grew
from (Edge says "Chrome" and "Safari", Chrome on Android says "Linux").
"""

from __future__ import annotations

import re

from flask_babel import gettext as _

Rules = tuple[tuple[re.Pattern[str], str], ...]


def _rules(*pairs: tuple[str, str]) -> Rules:
    return tuple((re.compile(pattern), name) for pattern, name in pairs)


#: (pattern, browser name), first match wins. Names are brands, the same in every language.
BROWSERS = _rules(
    (r"\bEdg(?:e|A|iOS)?/", "Edge"),
    (r"\bOPR/|\bOpera\b|\bOPT/", "Opera"),
    (r"\bSamsungBrowser/", "Samsung Internet"),
    (r"\bUCBrowser/", "UC Browser"),
    (r"\bYaBrowser/", "Yandex"),
    (r"\bFirefox/|\bFxiOS/", "Firefox"),
    (r"\bCriOS/|\bChrome/|\bHeadlessChrome/", "Chrome"),
    (r"\bChromium/", "Chromium"),
    (r"\bVersion/[\d.]+.*\bSafari/", "Safari"),
    (r"\bMSIE |\bTrident/", "Internet Explorer"),
)
#: (pattern, system name), first match wins: Android and ChromeOS before Linux, iPad and iPhone
#: before macOS (their strings say "like Mac OS X").
SYSTEMS = _rules(
    (r"\bAndroid\b", "Android"),
    (r"\biPhone\b|\biPod\b", "iPhone"),
    (r"\biPad\b", "iPad"),
    (r"\bCrOS\b", "ChromeOS"),
    (r"\bWindows\b", "Windows"),
    (r"\bMacintosh\b|\bMac OS X\b", "macOS"),
    (r"\bLinux\b|\bX11\b", "Linux"),
)


def _first(rules: Rules, text: str) -> str | None:
    return next((name for pattern, name in rules if pattern.search(text)), None)


def describe_device(user_agent: str | None) -> str:
    """The browser and system of ``user_agent`` in the reader's language: "Chrome di Android",
    "Firefox di Windows", a browser or a system alone when only one is known, else "Perangkat
    tidak dikenal"."""
    text = user_agent or ""
    browser, system = _first(BROWSERS, text), _first(SYSTEMS, text)
    if browser and system:
        return _("%(browser)s di %(system)s", browser=browser, system=system)
    return browser or system or _("Perangkat tidak dikenal")
