"""The systemd machine booted by scripts/testenv/systemd.sh, and the servers the tests use from it.

Every call here is bounded by a timeout, so a wedged unit fails a test instead of hanging CI.
"""

import json
import os
import secrets
import shlex
import socket
import subprocess
import threading
import time

CONFIG = "/etc/backupd/config.json"
PATH = "PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


class CommandFailed(AssertionError):
    """A command exited non-zero: its argv, status and output, for the test report."""

    def __init__(self, argv, result):
        super().__init__(
            f"{shlex.join(argv)} exited {result.returncode}\n"
            f"stdout: {result.stdout.strip()}\nstderr: {result.stderr.strip()}"
        )
        self.result = result


def run(argv, timeout, check=True, env=None, input=None):
    """Runs argv on the host with a timeout; returns the CompletedProcess (text)."""
    result = subprocess.run(
        argv, capture_output=True, text=True, timeout=timeout, env=env, input=input
    )
    if check and result.returncode != 0:
        raise CommandFailed(argv, result)
    return result


def wait_until(what, timeout, probe, interval=0.5):
    """Calls probe() until it returns something truthy (returned) or timeout seconds pass (fails)."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = probe()
        if last:
            return last
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what} (last: {last!r})")
        time.sleep(interval)


class Machine:
    """systemd 252 as PID 1 of its own namespaces; commands enter them with nsenter."""

    def __init__(self, pid1, binary="/usr/local/bin/backupd"):
        self.pid1 = int(pid1)
        self.root = f"/proc/{self.pid1}/root"
        self.binary = binary  # where backupd is installed: from source, or /usr/bin by the package

    def run(self, *argv, timeout=30, check=True):
        """Runs argv inside the machine (its root, namespaces and a clean environment)."""
        full = ["nsenter", "-t", str(self.pid1), "-a", "-r", "-w", "/usr/bin/env", "-i", PATH, *argv]
        return run(full, timeout=timeout, check=check)

    def systemctl(self, *args, timeout=30, check=True):
        return self.run("systemctl", *args, timeout=timeout, check=check)

    def show(self, unit, *properties):
        """The unit's properties as a dict (`systemctl show -p ...`)."""
        out = self.systemctl("show", unit, *(f"--property={p}" for p in properties)).stdout
        return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)

    def journal_cursor(self):
        """The journal's current end, to read only what comes after it."""
        out = self.run("journalctl", "-n", "0", "--show-cursor", "--no-pager").stdout
        for line in out.splitlines():
            if line.startswith("-- cursor: "):
                return line[len("-- cursor: "):]
        return None

    def journal(self, *args, after=None):
        """`journalctl -u backupd ARGS` (after the cursor, if given) as text."""
        argv = ["journalctl", "-u", "backupd", "--no-pager", *args]
        if after:
            argv += ["--after-cursor", after]
        return self.run(*argv).stdout

    def uid_gid(self, user):
        """The user's uid and gid in the machine's /etc/passwd."""
        with open(f"{self.root}/etc/passwd") as passwd:
            for line in passwd:
                fields = line.split(":")
                if fields[0] == user:
                    return int(fields[2]), int(fields[3])
        raise AssertionError(f"no user {user} in the machine")

    def write(self, path, text, mode=0o600, owner="backupd"):
        """Writes a file inside the machine, with its mode and owner set before any content."""
        host_path = f"{self.root}{path}"
        uid, gid = self.uid_gid(owner)
        fd = os.open(host_path + ".new", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
        try:
            os.fchown(fd, uid, gid)
            os.fchmod(fd, mode)
            os.write(fd, text.encode())
        finally:
            os.close(fd)
        os.replace(host_path + ".new", host_path)

    def write_config(self, config):
        self.write(CONFIG, json.dumps(config, indent=2) + "\n")

    def backupd(self, *args, timeout=30, check=True):
        """Runs the installed backupd as the service's user, as an administrator would."""
        return self.run(
            "setpriv", "--reuid=backupd", "--regid=backupd", "--init-groups", "--",
            self.binary, *args, "--config", CONFIG, timeout=timeout, check=check,
        )

    def history(self, job):
        """The job's recorded runs, newest first (`backupd history JOB --json`)."""
        return json.loads(self.backupd("history", job, "--json").stdout)

    def wait_for_run(self, job, status, timeout, trigger=None):
        """Waits until the job has a run with this status (and trigger); returns it."""

        def probe():
            for r in self.history(job):
                if r["status"] == status and (trigger is None or r["trigger"] == trigger):
                    return r
            return None

        return wait_until(f"a {status} run of {job} in the history", timeout, probe)

    def start(self, timeout=20):
        """`systemctl start backupd`; returns its duration in seconds."""
        cursor = self.journal_cursor()
        began = time.monotonic()
        try:
            self.systemctl("start", "backupd", timeout=timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(
                f"systemctl start backupd did not return within {timeout} s "
                f"(state {self.show('backupd', 'ActiveState', 'SubState')}); "
                f"journal since the start:\n{self.journal(after=cursor)}"
            ) from None
        except CommandFailed as failure:
            raise AssertionError(f"{failure}\njournal since the start:\n{self.journal(after=cursor)}") from None
        return time.monotonic() - began

    def force_stop(self, timeout=30):
        """Stops the service whatever state it is in; SIGKILL after timeout seconds."""
        try:
            self.systemctl("stop", "backupd", timeout=timeout, check=False)
        except subprocess.TimeoutExpired:
            self.systemctl("kill", "--signal=SIGKILL", "backupd", check=False)
            wait_until(
                "backupd to die after SIGKILL", 15,
                lambda: self.show("backupd", "ActiveState")["ActiveState"] in ("inactive", "failed"),
            )
        self.systemctl("reset-failed", "backupd", check=False)


class S3:
    """The test S3 server (radosgw), through the AWS CLI: a second client, independent of backupd."""

    def __init__(self, env):
        self.endpoint = env["BACKUPD_TEST_S3_ENDPOINT"]
        self.region = env["BACKUPD_TEST_S3_REGION"]
        self.access_key = env["BACKUPD_TEST_S3_ACCESS_KEY"]
        self.secret_key = env["BACKUPD_TEST_S3_SECRET_KEY"]
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": os.environ.get("HOME", "/root"),
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_DEFAULT_REGION": self.region,
            "AWS_EC2_METADATA_DISABLED": "true",
        }

    def aws(self, *args, timeout=60):
        return run(["aws", "--endpoint-url", self.endpoint, *args], timeout=timeout, env=self.env)

    def api(self, *args):
        out = self.aws("s3api", *args, "--output", "json").stdout
        return json.loads(out) if out.strip() else {}

    def keys(self, bucket, prefix):
        listing = self.api("list-objects-v2", "--bucket", bucket, "--prefix", prefix)
        return [o["Key"] for o in listing.get("Contents", [])]

    def open_uploads(self, bucket, prefix):
        listing = self.api("list-multipart-uploads", "--bucket", bucket, "--prefix", prefix)
        return listing.get("Uploads") or []

    def get(self, bucket, key):
        """The object's bytes."""
        result = subprocess.run(
            ["aws", "--endpoint-url", self.endpoint, "s3", "cp", f"s3://{bucket}/{key}", "-"],
            capture_output=True, timeout=120, env=self.env,
        )
        assert result.returncode == 0, result.stderr.decode(errors="replace")
        return result.stdout

    def remove_bucket(self, bucket):
        """Aborts the bucket's open uploads (a failed test may leave some), then removes it."""
        for upload in self.open_uploads(bucket, ""):
            self.api("abort-multipart-upload", "--bucket", bucket, "--key", upload["Key"],
                     "--upload-id", upload["UploadId"])
        self.aws("s3", "rb", "--force", f"s3://{bucket}", timeout=60)

    def destination(self, name, bucket):
        """A backupd destination for the bucket, the secret key in a file of the machine."""
        return {
            "name": name, "endpoint": self.endpoint, "region": self.region, "bucket": bucket,
            "accessKeyId": self.access_key,
            "secretAccessKey": {"file": "/etc/backupd/s3-secret-key"},
        }


class Postgres:
    """A role and database of their own on the shared test PostgreSQL."""

    def __init__(self, env):
        self.host = env["BACKUPD_TEST_PG_HOST"]
        self.port = int(env["BACKUPD_TEST_PG_PORT"])
        self.admin = env["BACKUPD_TEST_PG_USER"]
        self.admin_password = env["BACKUPD_TEST_PG_PASSWORD"]
        token = secrets.token_hex(4)
        self.role = f"sd_backup_{token}"
        self.database = f"sd_app_{token}"
        self.password = secrets.token_hex(16)
        self.marker = f"systemd-marker-{secrets.token_hex(8)}"

    def psql(self, database, sql, timeout=60):
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "PGPASSWORD": self.admin_password,
            "PGOPTIONS": "-c client_min_messages=warning",
        }
        argv = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", self.host, "-p", str(self.port),
                "-U", self.admin, "-d", database]
        run(argv, timeout=timeout, env=env, input=sql)

    def create(self):
        # The role's password goes in on stdin, never on a command line.
        self.psql("postgres", f"CREATE ROLE {self.role} LOGIN PASSWORD '{self.password}';\n"
                              f"CREATE DATABASE {self.database} OWNER {self.role};\n")
        self.psql(self.database, f"CREATE TABLE notes (id int PRIMARY KEY, body text NOT NULL);\n"
                                 f"INSERT INTO notes VALUES (1, '{self.marker}');\n"
                                 f"ALTER TABLE notes OWNER TO {self.role};\n")

    def drop(self):
        self.psql("postgres", f"DROP DATABASE IF EXISTS {self.database} WITH (FORCE);\n"
                              f"DROP ROLE IF EXISTS {self.role};\n", timeout=60)

    def job(self, name, destination, schedule, prefix):
        return {
            "name": name, "engine": "postgres", "schedule": schedule, "destination": destination,
            "prefix": prefix, "timeout": "2m",
            "connection": {
                "host": self.host, "port": self.port, "username": self.role,
                "password": {"file": "/etc/backupd/pg-password"}, "database": self.database,
            },
        }


class BlackHole:
    """A TCP listener on loopback that accepts every connection and never answers."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self.connections = []
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        self.sock.settimeout(0.2)
        while not self.stopped.is_set():
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.connections.append(conn)  # kept open and never read: the peer waits for good
            self.accepted += 1

    def close(self):
        self.stopped.set()
        self.thread.join(5)
        for conn in self.connections:
            conn.close()
        self.sock.close()
