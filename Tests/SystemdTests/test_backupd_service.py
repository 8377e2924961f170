"""backupd's unit (systemd/backupd.service, unchanged) under a real systemd 252, with the binary built
as the README installs it. Each test writes its own config, starts the unit and stops it after.
"""

import hashlib
import json
import os
import secrets
import stat
import subprocess
import time

from conftest import command_job, config
from machine import wait_until

EVERY_3S = "*/3 * * * * *"  # cron with the leading seconds field
DAILY = "0 3 * * *"
GRACE = 5  # the configs' shutdownGracePeriod, in seconds


def unique(label):
    return f"{label}-{secrets.token_hex(3)}"


def test_start_returns_after_ready(service, s3, bucket):
    """`systemctl start` of the Type=notify unit returns once backupd sent READY=1, and it is active."""
    job = unique("idle")
    service.write_config(config(s3, bucket, [command_job(job, ["printf", "x"], DAILY)]))

    seconds = service.start()

    state = service.show("backupd", "Type", "ActiveState", "SubState", "StatusText", "NRestarts", "MainPID")
    assert state["Type"] == "notify"
    # Before READY=1 a notify unit is `activating`; `start` must not have returned then.
    assert (state["ActiveState"], state["SubState"]) == ("active", "running"), state
    assert state["NRestarts"] == "0"
    assert int(state["MainPID"]) > 0
    assert job in state["StatusText"], f"STATUS= should name the next job: {state['StatusText']!r}"
    assert seconds < 10, f"start took {seconds:.1f} s"
    assert service.systemctl("is-active", "backupd").stdout.strip() == "active"


def test_scheduled_postgres_backup_lands_in_s3(service, s3, bucket, postgres):
    """A scheduled PostgreSQL backup (password from a 0600 file) is stored in S3 and in the history."""
    job = unique("pg")
    prefix = f"pg/{job}"
    password_file = os.stat(f"{service.root}/etc/backupd/pg-password")
    assert stat.S_IMODE(password_file.st_mode) == 0o600
    assert (password_file.st_uid, password_file.st_gid) == service.uid_gid("backupd")
    service.write_config(config(s3, bucket, [postgres.job(job, "s3", EVERY_3S, prefix)]))
    service.start()

    run = service.wait_for_run(job, "succeeded", timeout=60, trigger="schedule")

    assert run["objectKey"].startswith(f"{prefix}/{job}-"), run
    assert run["objectKey"].endswith(".dump.zst"), run
    assert run["objectKey"] in s3.keys(bucket, prefix)
    head = s3.api("head-object", "--bucket", bucket, "--key", run["objectKey"])
    assert head["ContentLength"] == run["bytesStored"]
    # The backup's manifest, written last, records the object's digest; the bytes match it.
    manifest_key = run["objectKey"][: -len(".dump.zst")] + ".manifest.json"
    manifest = json.loads(s3.get(bucket, manifest_key))
    entry = next(o for o in manifest["objects"] if o["key"] == run["objectKey"])
    stored = s3.get(bucket, run["objectKey"])
    # Manifest format 2: each part's size and the SHA-256 its upload was signed with (the server
    # checked it), and the SHA-256 over the part digests; the history shows that as HEX-N.
    offset, digests = 0, b""
    for part in entry["parts"]:
        piece = stored[offset:offset + part["size"]]
        assert len(piece) == part["size"] and hashlib.sha256(piece).hexdigest() == part["sha256"], manifest
        digests += bytes.fromhex(part["sha256"])
        offset += part["size"]
    assert offset == len(stored) == entry["size"], manifest
    composite = hashlib.sha256(digests).hexdigest()
    assert entry["partsSha256"] == composite, manifest
    assert run["sha256"] == f"{composite}-{len(entry['parts'])}", run
    dump = zstd_decompress(stored)
    assert dump.startswith(b"PGDMP"), "not a pg_dump custom-format archive"
    listing = subprocess.run(["pg_restore", "--data-only", "-f", "-"], input=dump,
                             capture_output=True, timeout=60)
    assert listing.returncode == 0, listing.stderr.decode(errors="replace")
    assert postgres.marker.encode() in listing.stdout, "the table's row is not in the backup"
    table = service.backupd("history", job).stdout
    assert "succeeded" in table and job in table, table


def test_postgres_passfile_is_a_memory_file(service, s3, bucket, postgres):
    """Under the unit's sandbox pg_dump reads its password from a memory file it inherited
    (PGPASSFILE=/proc/self/fd/N, a memfd): no file anywhere holds it, not even during the dump."""
    job = unique("pgmem")
    service.write_config(config(s3, bucket, [postgres.job(job, "s3", DAILY, f"pg/{job}")]))
    service.start()
    # Another session holds the table, so pg_dump waits (after it authenticated) while we look.
    holder = subprocess.Popen(
        ["psql", "-X", "-q", "-h", postgres.host, "-p", str(postgres.port), "-U", postgres.admin, "-d", postgres.database,
         "-c", "BEGIN; LOCK TABLE notes IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(60); COMMIT;"],
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PGPASSWORD": postgres.admin_password},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    run_now = None
    try:
        time.sleep(1)
        run_now = subprocess.Popen(
            ["nsenter", "-t", str(service.pid1), "-a", "-r", "-w", "/usr/bin/env", "-i", "PATH=/usr/local/bin:/usr/bin:/bin",
             "setpriv", "--reuid=backupd", "--regid=backupd", "--init-groups", "--",
             "/usr/local/bin/backupd", "run-now", job, "--config", "/etc/backupd/config.json"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)

        def dump():
            for pid in filter(str.isdigit, os.listdir("/proc")):
                try:
                    with open(f"/proc/{pid}/cmdline", "rb") as f:
                        argv = f.read().split(b"\0")
                    if argv[0].endswith(b"pg_dump") and postgres.database.encode() in argv:
                        with open(f"/proc/{pid}/environ", "rb") as f:
                            return pid, dict(v.split(b"=", 1) for v in f.read().split(b"\0") if b"=" in v)
                except OSError:
                    continue
            return None

        pid, environment = wait_until("pg_dump of the job", 30, dump)
        passfile = environment[b"PGPASSFILE"].decode()
        assert passfile.startswith("/proc/self/fd/"), passfile
        target = os.readlink(f"/proc/{pid}/fd/{passfile.rsplit('/', 1)[1]}")
        assert target.startswith("/memfd:"), target
        for root, _, files in os.walk(f"{service.root}/dev/shm"):
            for name in files:
                with open(os.path.join(root, name), "rb") as f:
                    assert postgres.password.encode() not in f.read(1 << 20), os.path.join(root, name)
    finally:
        holder.kill()
        holder.wait()
        # The server keeps the lock until pg_sleep ends unless its backend is ended too.
        postgres.psql("postgres", "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                  f"WHERE datname = '{postgres.database}' AND wait_event = 'PgSleep';\n")
    out, err = run_now.communicate(timeout=60)
    assert run_now.returncode == 0, err.decode(errors="replace")
    assert b"backed up " + job.encode() in out, out


def test_reload_with_broken_config_keeps_running_then_good_reload_applies(service, s3, bucket):
    """A reload with a broken config logs the error at priority err and keeps the service up;
    a good reload then schedules the new job."""
    first, added = unique("before-reload"), unique("after-reload")
    good = config(s3, bucket, [command_job(first, ["printf", "x"], DAILY)])
    service.write_config(good)
    service.start()
    pid = service.show("backupd", "MainPID")["MainPID"]

    cursor = service.journal_cursor()
    broken = config(s3, bucket, [command_job(first, ["printf", "x"], "61 * * * *")])
    service.write_config(broken)
    service.systemctl("reload", "backupd")

    errors = wait_until(
        "the reload error in journalctl -u backupd -p err", 15,
        lambda: (out := service.journal("-p", "err", "-o", "cat", after=cursor)) and "61" in out and out,
    )
    assert "schedule" in errors, errors
    time.sleep(1)
    state = service.show("backupd", "ActiveState", "SubState", "MainPID", "NRestarts")
    assert (state["ActiveState"], state["SubState"]) == ("active", "running"), state
    assert state["MainPID"] == pid and state["NRestarts"] == "0", state

    fixed = config(s3, bucket, [command_job(first, ["printf", "x"], DAILY),
                                command_job(added, ["printf", "added"], EVERY_3S)])
    service.write_config(fixed)
    service.systemctl("reload", "backupd")

    run = service.wait_for_run(added, "succeeded", timeout=30, trigger="schedule")
    assert run["bytesRead"] == len("added")
    assert service.show("backupd", "MainPID")["MainPID"] == pid


def test_stop_during_backup_ends_within_grace_and_records_interrupted(service, s3, bucket):
    """`systemctl stop` during a long backup returns within the grace period (plus the kill), and the
    run is recorded interrupted with nothing left in the bucket."""
    job = unique("slow")
    prefix = f"cmd/{job}"
    slow = command_job(job, ["sh", "-c", "head -c 64M /dev/urandom; sleep 30"], EVERY_3S)
    service.write_config(config(s3, bucket, [slow]))
    service.start()
    running = service.wait_for_run(job, "running", timeout=30)
    # Let the upload get going (some parts sent) before the stop.
    wait_until("parts of the slow run's upload", 20,
                lambda: s3.open_uploads(bucket, prefix) or None)

    began = time.monotonic()
    service.systemctl("stop", "backupd", timeout=GRACE + 60)
    seconds = time.monotonic() - began

    assert seconds < GRACE + 10, f"stop took {seconds:.1f} s with a {GRACE} s grace period"
    assert service.show("backupd", "ActiveState")["ActiveState"] == "inactive"
    runs = [r for r in service.history(job) if r["id"] == running["id"]]
    assert len(runs) == 1 and runs[0]["status"] == "interrupted", runs
    assert all(r["status"] != "running" for r in service.history(job))
    assert s3.open_uploads(bucket, prefix) == [], "the interrupted run's upload is still open"
    assert s3.keys(bucket, prefix) == [], "an interrupted run left an object"


def test_hanging_destination_delays_neither_start_nor_other_jobs(service, s3, bucket, black_hole):
    """A destination that accepts connections and never answers delays neither `systemctl start`
    nor another job's scheduled backups."""
    hung, alive = unique("to-black-hole"), unique("alive")
    hole = {"name": "black-hole", "endpoint": f"http://127.0.0.1:{black_hole.port}",
            "region": "default", "bucket": "never-answers", "accessKeyId": s3.access_key,
            "secretAccessKey": {"file": "/etc/backupd/s3-secret-key"}}
    service.write_config(config(s3, bucket, [
        command_job(hung, ["printf", "lost"], EVERY_3S, destination="black-hole", timeout="1m"),
        command_job(alive, ["printf", "alive"], EVERY_3S),
    ], extra_destinations=[hole]))
    started = time.monotonic()

    seconds = service.start(timeout=20)

    assert seconds < 10, f"start took {seconds:.1f} s with a destination that never answers"
    assert service.show("backupd", "ActiveState")["ActiveState"] == "active"
    first = service.wait_for_run(alive, "succeeded", timeout=20, trigger="schedule")
    wait_until("a second scheduled run of the other job", 20,
               lambda: len([r for r in service.history(alive) if r["status"] == "succeeded"]) >= 2)
    assert time.monotonic() - started < 40
    assert first["objectKey"] in s3.keys(bucket, f"cmd/{alive}")
    assert black_hole.accepted >= 1, "backupd never contacted the hanging destination"


def test_no_secret_in_the_journal(service, s3, bucket, postgres):
    """Neither the PostgreSQL password nor the S3 secret key appears anywhere in the unit's journal
    (all fields, after backups, a failed backup and the other tests' reloads and stops)."""
    job, failing = unique("pg-secret"), unique("pg-denied")
    denied = postgres.job(failing, "s3", EVERY_3S, f"pg/{failing}")
    denied["connection"]["database"] = "no_such_database_" + secrets.token_hex(3)
    service.write_config(config(s3, bucket, [postgres.job(job, "s3", EVERY_3S, f"pg/{job}"), denied]))
    service.start()
    service.wait_for_run(job, "succeeded", timeout=60)
    service.wait_for_run(failing, "failed", timeout=60)
    service.systemctl("stop", "backupd", timeout=GRACE + 60)

    journal = service.journal("-o", "verbose", "--boot")
    assert job in journal and failing in journal, "the journal does not have the runs' lines"
    assert "/usr/local/bin/backupd" in journal
    for name, value in [("PostgreSQL password", postgres.password), ("S3 secret key", s3.secret_key)]:
        assert value not in journal, f"the {name} is in journalctl -u backupd"
    everything = service.run("journalctl", "--no-pager", "-o", "verbose", "--boot").stdout
    for name, value in [("PostgreSQL password", postgres.password), ("S3 secret key", s3.secret_key)]:
        assert value not in everything, f"the {name} is in the machine's journal"


def zstd_decompress(data):
    result = subprocess.run(["zstd", "-d", "-c"], input=data, capture_output=True, timeout=60)
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return result.stdout
