"""The SQLite rate-limit storage (one file shared by the processes of a node) and the choice of
storage in the configuration."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

import examserver.config as config
from examserver import ratelimit_storage
from examserver.config import ConfigError, DevelopmentConfig, TestingConfig, load_config

#: One process hitting the limit 150 times from a common start time; prints how many were accepted.
#: It loads the storage module from its file, so a process starts in a fraction of a second.
HITTER = """
import importlib.util, sys, time
spec = importlib.util.spec_from_file_location("ratelimit_storage", sys.argv[1])
spec.loader.exec_module(importlib.util.module_from_spec(spec))  # registers sqlite://
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter
strategy = {"moving": MovingWindowRateLimiter, "fixed": FixedWindowRateLimiter}[sys.argv[3]]
limiter = strategy(storage_from_string(sys.argv[2]))
time.sleep(max(0.0, float(sys.argv[4]) - time.time()))
print(sum(limiter.hit(parse("300 per 5 minutes"), "login-account:a@contoh.id") for _ in range(150)))
"""


@pytest.mark.parametrize("strategy", ["moving", "fixed"])
def test_processes_hitting_one_file_together_never_pass_the_limit(tmp_path, strategy):
    uri, start = f"sqlite:///{tmp_path / 'ratelimits.db'}", time.time() + 2
    args = [sys.executable, "-c", HITTER, ratelimit_storage.__file__, uri, strategy, str(start)]
    processes = [subprocess.Popen(args, stdout=subprocess.PIPE, text=True) for _ in range(4)]
    accepted = [int(process.communicate(timeout=60)[0]) for process in processes]
    assert sum(accepted) == 300, accepted  # 600 attempts from four processes: exactly the limit


def test_a_moving_window_forgets_old_hits_and_keys_are_cleared_apart(tmp_path, clock):
    storage = storage_from_string(f"sqlite:///{tmp_path / 'limits.db'}")
    assert isinstance(storage, ratelimit_storage.SQLiteStorage)
    limiter, limit = MovingWindowRateLimiter(storage), parse("2 per 1 second")
    assert [limiter.hit(limit, "a") for _ in range(3)] == [True, True, False]
    assert limiter.hit(limit, "b")
    storage.clear(limit.key_for("b"))
    assert limiter.get_window_stats(limit, "b").remaining == 2
    assert not limiter.test(limit, "a")
    clock.advance(1.1)
    assert limiter.test(limit, "a") and limiter.hit(limit, "a")
    assert storage.reset() >= 1 and limiter.get_window_stats(limit, "a").remaining == 2


def test_the_uri_names_a_file(tmp_path):
    assert storage_from_string(f"sqlite:///{tmp_path}/x.db").path == tmp_path / "x.db"
    assert storage_from_string("sqlite:///relative.db").path.as_posix() == "relative.db"
    with pytest.raises(ValueError):
        storage_from_string("sqlite://host/x.db")


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    for name in ("REDIS_URL", "RATELIMIT_STORAGE_URI", "EXAMSERVER_WORKERS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    monkeypatch.setattr(config, "INSTANCE", tmp_path)
    return monkeypatch


def test_make_run_counts_in_the_nodes_shared_file_unless_told(clean_env, tmp_path):
    assert load_config(DevelopmentConfig)["RATELIMIT_STORAGE_URI"] == f"sqlite:///{tmp_path / 'ratelimits.db'}"
    clean_env.setenv("RATELIMIT_STORAGE_URI", "memcached://127.0.0.1:11211")
    assert load_config(DevelopmentConfig)["RATELIMIT_STORAGE_URI"] == "memcached://127.0.0.1:11211"
    clean_env.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    assert load_config(DevelopmentConfig)["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"


def test_memory_storage_is_refused_with_several_workers(clean_env):
    assert load_config(TestingConfig)["RATELIMIT_STORAGE_URI"] == "memory://"  # the single-process suite
    clean_env.setenv("EXAMSERVER_WORKERS", "1")
    assert load_config(TestingConfig)["RATELIMIT_STORAGE_URI"] == "memory://"
    clean_env.setenv("EXAMSERVER_WORKERS", "2")
    with pytest.raises(ConfigError, match="2 worker processes"):
        load_config(TestingConfig)
    clean_env.setenv("RATELIMIT_STORAGE_URI", f"sqlite:///{config.INSTANCE / 'ratelimits.db'}")
    assert load_config(TestingConfig)["RATELIMIT_STORAGE_URI"].startswith("sqlite:///")
