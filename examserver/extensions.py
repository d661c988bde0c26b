"""Module-level extensions, attached to the app with ``init_app`` in the factory."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from babel.support import NullTranslations
from flask import g, request
from flask_babel import Babel, Domain
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from werkzeug.utils import cached_property

import examserver.ratelimit_storage  # noqa: F401  (registers the sqlite:// rate-limit storage)
from itembank.database import Base

if TYPE_CHECKING:
    from flask_sqlalchemy.session import Session
    from sqlalchemy.engine import Connection, Engine
    from sqlalchemy.orm import scoped_session

    class RequestSession(scoped_session[Session], Session):
        """What ``db.session`` is to the type checker: the scoped session *and* the request's session.

        Flask-SQLAlchemy types ``db.session`` as ``scoped_session[Session]``, which is not a ``Session``,
        so every service typed ``session: sqlalchemy.orm.Session`` would refuse it. At run time the
        scoped session forwards every ``Session`` method and attribute to the current request's
        session (SQLAlchemy's documented proxy behaviour), and it keeps its own ``remove()``: both
        views are true, so the checker gets both. Never instantiated; exists only for mypy.
        """

        # The two bases declare get_bind differently; the scoped session forwards to Flask-SQLAlchemy's.
        def get_bind(
            self,
            mapper: Any | None = None,
            clause: Any | None = None,
            bind: Engine | Connection | None = None,
            **kwargs: Any,
        ) -> Engine | Connection: ...

    class Database(SQLAlchemy):
        session: RequestSession


db = cast("Database", SQLAlchemy(model_class=Base))


migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()


class RequestDomain(Domain):
    """Flask-Babel's message domain, with this request's catalogue looked up once per request.

    Flask-Babel looks the catalogue up again for every string it translates (the request context,
    the locale, its name, the cache): about a third of rendering the player page, whose 37 strings
    are each one lookup, and as much again on every staff page. The catalogue is kept where
    Flask-Babel keeps its request state, under the name its ``force_locale`` and ``refresh`` reset,
    so a locale forced or changed mid-request is followed."""

    def get_translations(self) -> NullTranslations:
        state = g.get("_flask_babel") if g else None
        cached = getattr(state, "babel_translations", None)
        if cached is not None:
            return cached
        translations = super().get_translations()
        state = g.get("_flask_babel") if g else None
        if state is not None:
            state.babel_translations = translations
        return translations


class RequestBabel(Babel):
    """Flask-Babel with :class:`RequestDomain` as its default domain."""

    @cached_property
    def domain_instance(self) -> Domain:
        return RequestDomain(domain=self.domain)


babel = RequestBabel()


def client_address() -> str:
    """The client's address as the rate limiter should see it."""
    return get_remote_address() or request.remote_addr or "unknown"


limiter = Limiter(key_func=client_address, default_limits=[])

# Every table on the shared metadata, for migrations and the test schema (imported last: these
# packages import the extensions above).
import examserver.accounts.models  # noqa: E402,F401
import examserver.delivery.models  # noqa: E402,F401
import examserver.hr.models  # noqa: E402,F401
import examserver.oversight.models  # noqa: E402,F401
import examserver.selection.models  # noqa: E402,F401
import examserver.sites.models  # noqa: E402,F401
import itembank.models  # noqa: E402,F401
import proctoring.models  # noqa: E402,F401
