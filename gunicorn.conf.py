"""Gunicorn settings for ``make run`` and production.

The master process runs one sweeper thread that ends overdue exam sessions every 20 seconds, so a
session expires on time even when the candidate's browser is gone and nobody looks at it.
"""

import os
import threading

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = 60
graceful_timeout = 30
SWEEP_SECONDS = float(os.environ.get("EXPIRY_SWEEP_SECONDS", "20"))


#: Held by the sweeper while it works and by the master while it forks a worker: a worker forked
#: in the middle of a sweep inherits whatever lock the sweep held at that instant (SQLAlchemy's
#: mapper-configuration mutex was seen) and its request threads wait on it for ever.
_sweep_lock = threading.Lock()


def _sweep_forever(app, stop: threading.Event) -> None:
    from examserver.delivery.sweeper import sweep_once

    while not stop.wait(SWEEP_SECONDS):
        with _sweep_lock:
            sweep_once(app)


def on_starting(server):
    # The workers inherit the environment and the app reads the worker count from it: several
    # workers with the per-process memory:// rate-limit storage would each count on their own.
    # Checked here as well, so gunicorn stops with the message ("Error: ...", exit 1) before any
    # worker is forked.
    os.environ["EXAMSERVER_WORKERS"] = str(server.cfg.workers)
    from examserver.config import load_config

    load_config()


def when_ready(server):
    # Import and build the app here, before any worker is forked: a fork while another thread
    # holds an import lock leaves the worker waiting for that lock for ever (seen at start-up
    # when the sweeper thread was still importing examserver).
    from sqlalchemy.orm import configure_mappers

    from examserver import create_app
    from examserver.delivery import sweeper  # noqa: F401

    app = create_app()
    configure_mappers()  # once, here, instead of at the first query of some thread
    os.register_at_fork(before=_sweep_lock.acquire, after_in_parent=_sweep_lock.release,
                        after_in_child=_sweep_lock.release)  # fmt: skip
    stop = threading.Event()
    server._expiry_stop = stop
    threading.Thread(target=_sweep_forever, args=(app, stop), name="expiry-sweeper", daemon=True).start()


def on_exit(server):
    stop = getattr(server, "_expiry_stop", None)
    if stop is not None:
        stop.set()
