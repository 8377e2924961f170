"""The Debian package (scripts/package-deb.sh) on a CLEAN Debian 12 root under a real systemd 252
(`scripts/testenv/systemd.sh start-clean`): apt installs it with the dependencies it declares,
a written config and `systemctl enable --now` give a scheduled backup in S3, a newer version
installs over it (the daemon restarts, its history survives), `apt-get remove` stops it and keeps
the config and state, and `apt-get purge` deletes them and the user.

The tests run in file order and build on each other: one machine goes through the package's life.
scripts/test.sh sets BACKUPD_PACKAGE_PID1 (the machine), BACKUPD_DEB (dist/backupd_V_amd64.deb)
and BACKUPD_DEB_UPGRADE (the same binary packaged as a newer version).
"""

import json
import os
import re
import secrets
import shutil
import socket
import stat
import subprocess
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

import pytest

from conftest import cleanup, command_job, config, need
from machine import S3, Machine, wait_until

EVERY_3S = "*/3 * * * * *"
APT_ENV = ("env", "DEBIAN_FRONTEND=noninteractive")
# What the binary links, by the package that holds it (dpkg-shlibdeps turns them into Depends).
LIBRARIES = ["libcurl4", "libsqlite3-0", "libssl3"]


def deb_version(path):
    return subprocess.run(["dpkg-deb", "-f", path, "Version"], capture_output=True, text=True,
                          check=True).stdout.strip()


@pytest.fixture(scope="module")
def box():
    """The clean machine, with backupd run from /usr/bin as the package installs it."""
    need("BACKUPD_PACKAGE_PID1", "BACKUPD_DEB", "BACKUPD_DEB_UPGRADE")
    m = Machine(os.environ["BACKUPD_PACKAGE_PID1"], binary="/usr/bin/backupd")
    for path in (os.environ["BACKUPD_DEB"], os.environ["BACKUPD_DEB_UPGRADE"]):
        shutil.copy(path, f"{m.root}/tmp/{os.path.basename(path)}")
        os.chmod(f"{m.root}/tmp/{os.path.basename(path)}", 0o644)
    return m


@pytest.fixture(scope="module")
def store():
    need("BACKUPD_TEST_S3_ENDPOINT", "BACKUPD_TEST_S3_ACCESS_KEY", "BACKUPD_TEST_S3_SECRET_KEY")
    s3 = S3(os.environ)
    name = f"backupd-package-{secrets.token_hex(4)}"
    s3.aws("s3", "mb", f"s3://{name}")
    yield s3, name
    cleanup(f"remove the bucket {name}", lambda: s3.remove_bucket(name))


@pytest.fixture(scope="module")
def job():
    return f"pkg-{secrets.token_hex(3)}"


@pytest.fixture(scope="module")
def metrics_port():
    """A free loopback port for the daemon's /metrics (the machine shares the host's network)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


REPO = os.path.join(os.path.dirname(__file__), "..", "..")


def used_metric_names():
    """Every backupd_* metric the alert rules (their active lines, not the commented placeholders)
    and the dashboard's queries use."""
    names = set()
    with open(os.path.join(REPO, "contrib/prometheus/backupd-alerts.yml")) as f:
        for line in f:
            if not line.lstrip().startswith("#"):
                names.update(re.findall(r"\bbackupd_[a-z_]+\b", line))
    with open(os.path.join(REPO, "contrib/grafana/backupd.json")) as f:
        dashboard = json.load(f)
    queries = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    queries += [v["query"]["query"] for v in dashboard["templating"]["list"] if isinstance(v.get("query"), dict)]
    for query in queries:
        names.update(re.findall(r"\bbackupd_[a-z_]+\b", query))
    return names


def installed(box, package):
    """The package's version when dpkg has it installed, else None."""
    out = box.run("dpkg-query", "-W", "-f=${db:Status-Status} ${Version}", package, check=False).stdout
    status, _, version = out.partition(" ")
    return version if status == "installed" else None


def apt(box, *args, timeout=300):
    return box.run(*APT_ENV, "apt-get", "-y", "-q", *args, timeout=timeout)


def user_exists(box, name):
    return box.run("getent", "passwd", name, check=False).returncode == 0


def test_install_resolves_depends_and_leaves_the_service_inactive(box):
    """`apt-get install ./backupd_V.deb` on a root without backupd's libraries installs them from
    the package's Depends; the binary, unit, user and /etc/backupd are in place, and the enabled
    unit stays inactive (ConditionPathExists) while there is no config."""
    deb = os.path.basename(os.environ["BACKUPD_DEB"])
    assert not installed(box, "libcurl4"), "the root is not clean: libcurl4 is installed already"
    apt(box, "update")

    apt(box, "install", f"/tmp/{deb}")

    assert installed(box, "backupd") == deb_version(os.environ["BACKUPD_DEB"])
    for library in LIBRARIES:
        assert installed(box, library), f"{library} was not installed from Depends"
    version = box.run("backupd", "--version").stdout
    assert version.startswith(deb_version(os.environ["BACKUPD_DEB"]).split("+")[0] + " (commit "), version
    passwd = box.run("getent", "passwd", "backupd").stdout.strip().split(":")
    assert passwd[5:] == ["/var/lib/backupd", "/usr/sbin/nologin"], passwd
    etc = os.stat(f"{box.root}/etc/backupd")
    assert stat.S_IMODE(etc.st_mode) == 0o750 and (etc.st_uid, etc.st_gid) == (0, box.uid_gid("backupd")[1])
    assert os.path.exists(f"{box.root}/usr/share/doc/backupd/examples/config.example.json")
    unit = box.show("backupd", "FragmentPath", "ExecStart", "UnitFileState", "ActiveState", "ConditionResult")
    assert unit["FragmentPath"] == "/lib/systemd/system/backupd.service", unit
    assert "path=/usr/bin/backupd" in unit["ExecStart"], unit
    assert unit["UnitFileState"] == "enabled", unit
    assert (unit["ActiveState"], unit["ConditionResult"]) == ("inactive", "no"), unit


def test_enable_now_runs_a_scheduled_backup_into_s3(box, store, job, metrics_port):
    """With a config written, `systemctl enable --now backupd` starts the daemon from /usr/bin and
    a scheduled backup lands in the bucket and in the history."""
    s3, bucket = store
    box.write("/etc/backupd/s3-secret-key", s3.secret_key + "\n")
    # Each backup is verified after it is written, for the verification metrics.
    box.write_config(config(s3, bucket, [command_job(job, ["printf", "packaged"], EVERY_3S, verify={"afterBackup": True})],
                            metrics={"listen": f"127.0.0.1:{metrics_port}"}))

    box.systemctl("enable", "--now", "backupd", timeout=60)

    state = box.show("backupd", "ActiveState", "SubState", "MainPID")
    assert (state["ActiveState"], state["SubState"]) == ("active", "running"), state
    run = box.wait_for_run(job, "succeeded", timeout=60, trigger="schedule")
    assert run["objectKey"] in s3.keys(bucket, f"cmd/{job}")
    assert s3.get(bucket, run["objectKey"]) == b"packaged"


def test_every_metric_of_the_alert_rules_and_dashboard_is_exported(box, job, metrics_port):
    """Scraping the running packaged daemon's /metrics finds every backupd_* metric that
    contrib/prometheus/backupd-alerts.yml and contrib/grafana/backupd.json use (the verification
    ones once a backup was verified), with the job in the label backup_job (never `job`, which
    Prometheus overrides)."""
    # The PITR (backupd_wal_*) and fleet (backupd_fleet_*) series exist only for PITR and
    # `runOn: "any"` jobs, which this packaged daemon does not have: PITRMonitoringTests and
    # FleetOpsTests check that a daemon with such a job exports every one the rules use.
    used = {name for name in used_metric_names() if not name.startswith(("backupd_wal_", "backupd_fleet_"))}
    assert len(used) >= 10, used
    assert {"backupd_last_verification_success", "backupd_pending_aborts"} <= used, used

    def scrape():
        with urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=10) as response:
            text = response.read().decode()
        samples = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                samples.setdefault(sample.name, []).append(sample.labels)
        return samples

    samples = wait_until("a verification in the metrics", 60,
                         lambda: (s := scrape()).get("backupd_last_verification_success") and s)
    missing = sorted(name for name in used if name not in samples)
    assert not missing, f"used by the rules or dashboard but not exported: {missing}"
    per_destination = {"backupd_pending_aborts"}
    for name in used - {"backupd_build_info"} - per_destination:
        assert any(labels.get("backup_job") == job for labels in samples[name]), (name, samples[name])
    assert {"destination": "s3"} in samples["backupd_pending_aborts"], samples["backupd_pending_aborts"]
    assert not any("job" in labels for series in samples.values() for labels in series)


def test_man_pages_render(box):
    """`man backupd` renders backupd(1) naming every subcommand, and `man backupd.json` renders the
    configuration page with the README's keys and defaults, without groff warnings."""
    env = ("env", "MANPAGER=cat", "MANWIDTH=100", "LANG=C.UTF-8")
    page = box.run(*env, "man", "backupd").stdout
    for sub in ["run", "validate", "check", "cron", "run-now", "restore", "list", "history", "status",
                "verify", "prune"]:
        assert f"\n   backupd {sub}" in page or f"\n   {sub}" in page, f"no subcommand {sub} in backupd(1)"
    assert "--config" in page
    config = box.run(*env, "man", "backupd.json").stdout
    assert "stateDirectory" in config and "/var/lib/backupd" in config, config[:2000]
    assert "shutdownGracePeriod" in config and "historyRetention" in config
    for name, section in (("backupd", "1"), ("backupd.json", "5")):
        warnings = box.run(*env, "man", "--warnings", section, name).stderr
        assert warnings.strip() == "", f"{name}({section}): {warnings}"


def complete(box, line):
    """What bash completes for `line` (the word after its last space), through bash-completion's
    loader, which finds the package's script by the command's name."""
    script = (
        "source /usr/share/bash-completion/bash_completion\n"
        "_completion_loader backupd\n"
        "fn=$(complete -p backupd | sed -E 's/.* -F ([^ ]+) .*/\\1/')\n"
        f"COMP_LINE={shlex_quote(line)}\n"
        "COMP_POINT=${#COMP_LINE}\n"
        "read -r -a COMP_WORDS <<<\"$COMP_LINE\"\n"
        "[[ $COMP_LINE == *' ' ]] && COMP_WORDS+=('')\n"
        "COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))\n"
        "\"$fn\" backupd \"${COMP_WORDS[COMP_CWORD]}\" \"${COMP_WORDS[COMP_CWORD-1]}\"\n"
        "printf '%s\\n' \"${COMPREPLY[@]}\"\n"
    )
    return box.run("bash", "-c", script).stdout.split()


def shlex_quote(text):
    return "'" + text.replace("'", "'\\''") + "'"


def test_bash_completion_completes_subcommands_and_job_names(box, job):
    """The packaged bash completion loads through bash-completion and completes subcommands, flags,
    and the job names of the config (read without its secrets)."""
    assert "history" in complete(box, "backupd hist")
    assert "--json" in complete(box, "backupd history --js")
    assert job in complete(box, "backupd history ")
    assert complete(box, f"backupd run-now --config /etc/backupd/config.json {job[:5]}") == [job]
    # No secret is read: a config whose secret file does not exist still completes its job names.
    with open(f"{box.root}/etc/backupd/config.json") as f:
        broken = json.load(f)
    broken["destinations"][0]["secretAccessKey"] = {"file": "/nonexistent/secret"}
    box.write("/tmp/no-secret.json", json.dumps(broken), owner="root")
    assert box.run("backupd", "validate", "--config", "/tmp/no-secret.json", check=False).returncode != 0
    assert complete(box, f"backupd verify --config /tmp/no-secret.json {job[:5]}") == [job]


def test_upgrade_restarts_the_daemon_and_keeps_history(box, job):
    """Installing the newer version over it restarts the daemon on the new package (a new main
    process), and the runs recorded before the upgrade are still in the history, which goes on."""
    newer = os.environ["BACKUPD_DEB_UPGRADE"]
    before = box.show("backupd", "MainPID")["MainPID"]
    runs_before = {r["id"] for r in box.history(job)}
    assert runs_before

    apt(box, "install", f"/tmp/{os.path.basename(newer)}")

    assert installed(box, "backupd") == deb_version(newer)
    state = box.show("backupd", "ActiveState", "MainPID", "NRestarts")
    assert state["ActiveState"] == "active", state
    assert state["MainPID"] not in ("0", before), f"the daemon was not restarted: {state}, before {before}"
    after = {r["id"] for r in box.history(job)}
    assert runs_before <= after, "runs recorded before the upgrade are gone"
    wait_until("a run after the upgrade", 60,
               lambda: any(r["id"] > max(runs_before) and r["status"] == "succeeded" for r in box.history(job)))


def test_remove_stops_the_daemon_and_keeps_config_and_state(box):
    """`apt-get remove` stops the daemon and removes the binary, but keeps /etc/backupd (config and
    secrets), /var/lib/backupd (the history) and the user."""
    apt(box, "remove", "backupd")

    assert box.run("pgrep", "-x", "backupd", check=False).returncode == 1, "backupd still runs"
    assert box.show("backupd", "ActiveState")["ActiveState"] in ("inactive", "failed")
    assert not os.path.exists(f"{box.root}/usr/bin/backupd")
    status = box.run("dpkg-query", "-W", "-f=${db:Status-Status}", "backupd").stdout
    assert status == "config-files", status
    assert os.path.exists(f"{box.root}/etc/backupd/config.json")
    assert os.path.exists(f"{box.root}/etc/backupd/s3-secret-key")
    assert os.path.getsize(f"{box.root}/var/lib/backupd/history.sqlite3") > 0
    assert user_exists(box, "backupd")


def test_purge_deletes_config_state_and_user(box):
    """`apt-get purge` deletes /etc/backupd, /var/lib/backupd, the user and group, and dpkg forgets
    the package."""
    apt(box, "purge", "backupd")

    assert not os.path.exists(f"{box.root}/etc/backupd")
    assert not os.path.exists(f"{box.root}/var/lib/backupd")
    assert not user_exists(box, "backupd")
    assert box.run("getent", "group", "backupd", check=False).returncode != 0
    status = box.run("dpkg-query", "-W", "-f=${db:Status-Status}", "backupd", check=False).stdout
    assert status in ("", "not-installed"), status
