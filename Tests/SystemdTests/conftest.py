"""Fixtures of the systemd tests: the machine of scripts/testenv/systemd.sh, a bucket of their own on
the test S3 server, and a role and database of their own on the test PostgreSQL.

scripts/test.sh sets everything. Run by hand:

    scripts/testenv/systemd.sh start /tmp/sd            # prints BACKUPD_SYSTEMD_* exports
    eval "$(scripts/testenv/systemd.sh start /tmp/sd)"; source /tmp/srv/env.sh
    python3 -m pytest Tests/SystemdTests -v
    scripts/testenv/systemd.sh stop /tmp/sd

Without BACKUPD_SYSTEMD_PID1 the tests are skipped, unless BACKUPD_SYSTEMD_REQUIRED=1 (as in
scripts/test.sh), which makes a missing machine or server an error.
"""

import os
import secrets
import subprocess
import warnings

import pytest

from machine import S3, BlackHole, Machine, Postgres

REQUIRED = os.environ.get("BACKUPD_SYSTEMD_REQUIRED") == "1"


def need(*names):
    missing = [n for n in names if not os.environ.get(n)]
    if missing:
        message = f"{', '.join(missing)} not set (see Tests/SystemdTests/conftest.py)"
        if REQUIRED:
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


def cleanup(what, action):
    """Runs a clean-up of the shared test servers; a slow or failed one warns instead of failing
    the tests (the servers are throw-away in CI; DROP DATABASE waits for a checkpoint)."""
    try:
        action()
    except (AssertionError, subprocess.TimeoutExpired) as error:
        warnings.warn(f"could not {what}: {error}")


@pytest.fixture(scope="session")
def machine():
    need("BACKUPD_SYSTEMD_PID1")
    m = Machine(os.environ["BACKUPD_SYSTEMD_PID1"])
    assert os.path.isdir(f"{m.root}/etc/backupd"), f"no machine with /etc/backupd at pid {m.pid1}"
    return m


@pytest.fixture(scope="session")
def s3(machine):
    need("BACKUPD_TEST_S3_ENDPOINT", "BACKUPD_TEST_S3_ACCESS_KEY", "BACKUPD_TEST_S3_SECRET_KEY")
    store = S3(os.environ)
    machine.write("/etc/backupd/s3-secret-key", store.secret_key + "\n")
    return store


@pytest.fixture(scope="session")
def bucket(s3):
    name = f"backupd-systemd-{secrets.token_hex(4)}"
    s3.aws("s3", "mb", f"s3://{name}")
    yield name
    cleanup(f"remove the bucket {name}", lambda: s3.remove_bucket(name))


@pytest.fixture(scope="session")
def postgres(machine):
    need("BACKUPD_TEST_PG_HOST", "BACKUPD_TEST_PG_PORT", "BACKUPD_TEST_PG_USER", "BACKUPD_TEST_PG_PASSWORD")
    pg = Postgres(os.environ)
    pg.create()
    machine.write("/etc/backupd/pg-password", pg.password + "\n")
    yield pg
    cleanup(f"drop the database {pg.database} and role {pg.role}", pg.drop)


@pytest.fixture
def service(machine):
    """The backupd unit, stopped before and after the test whatever happened in it."""
    machine.force_stop()
    yield machine
    machine.force_stop()


@pytest.fixture
def black_hole():
    hole = BlackHole()
    yield hole
    hole.close()


def config(s3, bucket, jobs, extra_destinations=(), **top):
    """A backupd config with the test bucket as destination `s3`, short grace for quick stops."""
    return {
        "stateDirectory": "/var/lib/backupd",
        "timeZone": "UTC",
        "shutdownGracePeriod": "5s",
        **top,
        "destinations": [s3.destination("s3", bucket), *extra_destinations],
        "jobs": jobs,
    }


def command_job(name, argv, schedule, destination="s3", **keys):
    return {
        "name": name, "engine": "command", "schedule": schedule, "destination": destination,
        "prefix": f"cmd/{name}", "compression": "none", "timeout": "2m",
        "connection": {"argv": argv, "extension": "bin"}, **keys,
    }
