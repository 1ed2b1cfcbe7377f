"""Real processes for tests: the SMTP sink and manage.py commands on the test database.

Both start when constructed, like subprocess.Popen, and are context managers that
always clean up after themselves, so a failing test leaves no process behind.
"""

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

from django.db import connection

BASE_DIR = Path(__file__).resolve().parent.parent
SMTP_SINK = BASE_DIR / "scripts" / "smtp_sink.py"
MANAGE_PY = BASE_DIR / "manage.py"


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpSink:
    """scripts/smtp_sink.py in a process of its own; see that script for the options.

    stop() and start() again keep the port and the log, to play an outage.
    """

    def __init__(
        self,
        *,
        port: int | None = None,
        refuse_data: tuple[str, ...] = (),
        defer_rcpt: dict[str, int] | None = None,
        slow: float = 0.0,
        arrivals_only: bool = False,
        pipelining: bool = True,
    ):
        self.port = port or free_port()
        self._files = tempfile.TemporaryDirectory(prefix="smtp-sink-")
        self.log_path = Path(self._files.name) / "messages.jsonl"
        self.output_path = Path(self._files.name) / "output.txt"
        self.command = [sys.executable, str(SMTP_SINK), "--port", str(self.port)]
        self.command += ["--log", str(self.log_path)]
        if arrivals_only:
            self.command += ["--arrivals-only"]
        if refuse_data:
            self.command += ["--refuse-data", *refuse_data]
        if defer_rcpt:
            self.command += ["--defer-rcpt"]
            self.command += [f"{address}:{n}" for address, n in defer_rcpt.items()]
        if slow:
            self.command += ["--slow", str(slow)]
        if not pipelining:
            self.command += ["--no-pipelining"]
        self.process = None
        self.start()

    @property
    def url(self) -> str:
        """Return the EMAIL_URL that sends mail here."""
        return f"smtp://127.0.0.1:{self.port}"

    def start(self, *, timeout: float = 10) -> None:
        """Start the sink and wait until it accepts connections."""
        assert not self.is_running(), "the sink is running already"
        with self.output_path.open("ab") as output:
            earlier_runs = output.tell()
            self.process = subprocess.Popen(
                self.command, stdout=output, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + timeout
        while b"listening on" not in self.output_path.read_bytes()[earlier_runs:]:
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the SMTP sink did not start:\n{self.output()}")
            time.sleep(0.02)

    def stop(self) -> None:
        """Stop the sink: SIGTERM, then SIGKILL if it has not gone in 5 s."""
        if not self.is_running():
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def is_running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def messages(self) -> list[dict]:
        """Return the messages accepted so far, oldest first."""
        lines = self.log_path.read_text(encoding="utf-8").splitlines(keepends=True)
        # The last line may be half-written while the sink is running.
        return [json.loads(line) for line in lines if line.endswith("\n")]

    def output(self) -> str:
        """Return what the sink has printed so far, all runs together."""
        return self.output_path.read_text(errors="replace")

    def __enter__(self) -> "SmtpSink":
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()
        self._files.cleanup()


def current_database_url() -> str:
    """Return a DATABASE_URL for the database this test runs on."""
    if connection.vendor != "postgresql":
        # SQLite's test database lives in this process's memory.
        raise RuntimeError("another process can share only a PostgreSQL test database")
    db = connection.settings_dict
    user = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        user += ":" + quote(db["PASSWORD"], safe="")
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{user}@{db['HOST']}{port}/{quote(db['NAME'], safe='')}"


class ManagePy:
    """`manage.py <args>` in a process group of its own, on the current test database.

    The environment is this process's, with DJANGO_DEBUG=1 and the test database's
    DATABASE_URL, then the keyword overrides: ManagePy("db_worker", TASKS_BACKEND=...).
    """

    def __init__(self, *args: str, **env: str):
        self.args = args
        self.env = {
            **os.environ,
            "DJANGO_DEBUG": "1",
            "DATABASE_URL": current_database_url(),
            **env,
        }
        self._output = tempfile.NamedTemporaryFile(prefix="manage-py-", suffix=".txt")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, str(MANAGE_PY), *args],
            cwd=BASE_DIR,
            env=self.env,
            stdout=self._output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Send sig to the command and every process it started."""
        with contextlib.suppress(ProcessLookupError):  # All gone already.
            os.killpg(self.process.pid, sig)

    def terminate(self) -> None:
        self.kill(signal.SIGTERM)

    def wait(self, timeout: float | None = None) -> int:
        """Wait for the command to end and return its exit code."""
        return self.process.wait(timeout)

    def is_running(self) -> bool:
        return self.process.poll() is None

    def output(self) -> str:
        """Return its stdout and stderr so far, interleaved as written."""
        # Read by name: reading through the shared descriptor would move the
        # child's write position.
        return Path(self._output.name).read_text(errors="replace")

    def __enter__(self) -> "ManagePy":
        return self

    def __exit__(self, *exc_info) -> None:
        self.kill()
        self.process.wait()
        self._output.close()
