"""Module-level extensions, attached to the app with ``init_app`` in the factory."""

from __future__ import annotations

from flask import request
from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

import examserver.ratelimit_storage  # noqa: F401  (registers the sqlite:// rate-limit storage)
from itembank.database import Base

db = SQLAlchemy(model_class=Base)


migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()


def client_address() -> str:
    """The client's address as the rate limiter should see it."""
    return get_remote_address() or request.remote_addr or "unknown"


limiter = Limiter(key_func=client_address, default_limits=[])

# Every table on the shared metadata, for migrations and the test schema (imported last: these
# packages import the extensions above).
import examserver.accounts.models  # noqa: E402,F401
import examserver.delivery.models  # noqa: E402,F401
import examserver.hr.models  # noqa: E402,F401
import examserver.selection.models  # noqa: E402,F401
import itembank.models  # noqa: E402,F401
import proctoring.models  # noqa: E402,F401
