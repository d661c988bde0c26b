"""Numbers typed as the reader writes them: the IPK of an application and the committee's scores."""

from __future__ import annotations

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from examserver.numbers import parse_number
from examserver.selection.models import Application, Position
from tests.conftest import csrf_token
from tests.examserver.test_oversight import make_period


@pytest.mark.parametrize(
    ("typed", "locale", "value"),
    [
        ("3,45", "id", 3.45),
        ("1.234,5", "id", 1234.5),
        ("-0,5", "id", -0.5),
        ("3.45", "id", 3.45),  # the plain notation, when the locale cannot read it
        ("1.234", "id", 1234.0),  # both could: the locale's reading wins
        ("3.45", "en", 3.45),
        ("1,234.5", "en", 1234.5),
    ],
)
def test_a_number_is_read_as_the_reader_writes_it(app, typed, locale, value):
    with app.test_request_context(), force_locale(locale):
        assert parse_number(typed) == pytest.approx(value)


@pytest.mark.parametrize("typed", ["abc", "3,4,5", "1_0", "1e3", "nan", "inf", "", "3,45 IPK"])
def test_what_is_not_a_number_is_refused(app, typed):
    with app.test_request_context(), force_locale("id"), pytest.raises(ValueError):
        parse_number(typed)


@pytest.fixture
def apply(app, client, db_session, make_user, login_as):
    """Factory: ``apply(locale)`` signs a new candidate in (reading ``locale``) on a new period and
    returns ``post(ipk)``, which sends the application form with that IPK as typed, and ``saved()``,
    the IPK stored (None before an application is)."""

    def start(locale: str):
        period = make_period(app, db_session, make_user("committee"), f"IPK-{locale}")
        candidate = login_as("candidate", locale=locale)
        position = db_session.scalar(select(Position).where(Position.period_id == period.id))
        page = f"/seleksi/{period.code}/lamar"
        data = {"position": str(position.id), "category": "general", "birth_date": "1998-05-01"}

        def post(typed: str):
            return client.post(page, data={"csrf_token": csrf_token(client, page), **data, "education_score": typed})

        def saved() -> float | None:
            return db_session.scalar(
                select(Application.education_score).where(Application.candidate_id == candidate.id)
            )

        return page, post, saved

    return start


def test_a_candidate_types_the_ipk_with_a_decimal_comma(client, apply):
    page, post, saved = apply("id")
    refused = post("3,4,5")
    text = refused.get_data(as_text=True)
    assert refused.status_code == 200 and "Tulis angka, misalnya 3,45." in text and "Not a valid" not in text
    assert "IPK harus antara 0 dan 4." not in text  # said once, not repeated by the range check
    assert "IPK harus antara 0 dan 4." in post("4,5").get_data(as_text=True)
    assert saved() is None

    response = post("3,45")
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    assert saved() == pytest.approx(3.45)
    # Shown back the way it was typed.
    assert 'value="3,45"' in client.get(page).get_data(as_text=True)


def test_a_candidate_reading_english_types_the_ipk_with_a_decimal_point(apply):
    _page, post, saved = apply("en")
    assert "Enter a number, for example 3.45." in post("3,4,5").get_data(as_text=True)
    assert saved() is None
    response = post("3.45")
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    assert saved() == pytest.approx(3.45)
