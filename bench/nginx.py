"""nginx as shipped (deploy/nginx/appealsite.conf), run by the benchmark and the drill.

The site file is used as it is, with this machine's values in place of the deployed
site's: its port instead of 80 and 443 with a certificate, a temporary directory
for the cache, the logs and the files, the app's port in the upstream. Each value
replaced must be found in the file exactly once, so the file cannot drift away from
what is measured without this failing.
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
SITE_FILE = BASE_DIR / "deploy" / "nginx" / "appealsite.conf"
REDIRECT_SERVER = re.compile(r"server \{\n    listen 80;.*?\n\}\n\n", re.S)
TLS_LINES = re.compile(
    r"^    (?:listen \[::\]:443 ssl|http2 on|ssl_\w+ [^;]+);\n", re.M
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def executable() -> str:
    """nginx, installed from Debian's package when it is missing (as root)."""
    found = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.path.exists(found):
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "nginx"],
            check=True,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
        # The package may start a server of its own on port 80: ours runs alone.
        subprocess.run(["service", "nginx", "stop"], check=False, capture_output=True)
    return found


def site_config(
    *, port: int, app_port: int, root: Path, state: Path, onion_port: int
) -> str:
    """The shipped site file, serving plain HTTP on port in front of app_port, and
    the onion listener (PROXY protocol) on onion_port."""
    text = REDIRECT_SERVER.sub("", SITE_FILE.read_text(), count=1)
    text = TLS_LINES.sub("", text)
    replacements = {
        "listen 443 ssl;": f"listen 127.0.0.1:{port};",
        "listen 127.0.0.1:8081 proxy_protocol;": (
            f"listen 127.0.0.1:{onion_port} proxy_protocol;"
        ),
        "/var/cache/nginx/appealsite": f"{state}/cache",
        "server 127.0.0.1:8000;": f"server 127.0.0.1:{app_port};",
        "root /srv/appealsite;": f"root {root};",
        "/var/log/nginx/appealsite.log": f"{state}/access.log",
        "/var/log/nginx/appealsite-error.log crit": f"{state}/error.log error",
    }
    for old, new in replacements.items():
        if text.count(old) != 1:
            raise ValueError(f"{SITE_FILE.name} no longer has {old!r} once")
        text = text.replace(old, new)
    if "listen 80" in text or "ssl" in text:
        raise ValueError(f"{SITE_FILE.name}: its plain-HTTP or TLS lines changed")
    return text


class Nginx:
    """A private nginx with the shipped site file, on a port of its own."""

    def __init__(self, *, port: int, app_port: int, root: Path, workers: int = 1):
        self.port = port
        self.onion_port = free_port()  # Where Tor would hand its visitors over.
        self.base = f"http://127.0.0.1:{port}"
        self.state = Path(tempfile.mkdtemp(prefix="appealsite-nginx-"))
        # Started as root, nginx's workers run as nobody: they must get in here.
        self.state.chmod(0o755)
        temp_paths = "\n".join(
            f"    {name}_temp_path {self.state}/{name};"
            for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        site = site_config(
            port=port,
            app_port=app_port,
            root=root,
            state=self.state,
            onion_port=self.onion_port,
        )
        (self.state / "nginx.conf").write_text(
            f"worker_processes {workers};\n"
            f"pid {self.state}/nginx.pid;\n"
            f"error_log {self.state}/error.log error;\n"
            "events { worker_connections 4096; }\n"
            "http {\n"
            "    include /etc/nginx/mime.types;\n"
            "    default_type application/octet-stream;\n"
            "    sendfile on;\n"
            "    tcp_nopush on;\n"
            "    keepalive_requests 100000;\n"
            f"{temp_paths}\n"
            f"{site}\n"
            "}\n"
        )
        self.command = [
            executable(),
            "-c",
            f"{self.state}/nginx.conf",
            "-p",
            str(self.state),
        ]

    def start(self) -> None:
        test = subprocess.run(
            [*self.command, "-t", "-q"], capture_output=True, text=True
        )
        if test.returncode:
            raise SystemExit(f"nginx refused its configuration:\n{test.stderr}")
        subprocess.run(self.command, check=True, capture_output=True)
        for _ in range(50):
            try:  # Listening is enough: a request would be in the log.
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise SystemExit(f"nginx did not start:\n{self.errors()}")

    def stop(self) -> None:
        pid_file = self.state / "nginx.pid"
        if pid_file.exists():
            pid = int(pid_file.read_text())
            os.kill(pid, signal.SIGQUIT)
            for _ in range(100):
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.05)
        shutil.rmtree(self.state, ignore_errors=True)

    def errors(self) -> str:
        log = self.state / "error.log"
        return log.read_text() if log.exists() else ""

    def access_log(self, *, lines: int = 0) -> str:
        """The access log, once it holds at least `lines` lines (a few seconds at
        most): nginx writes a request's line after its answer has gone out."""
        deadline = time.monotonic() + 5
        text = (self.state / "access.log").read_text()
        while text.count("\n") < lines and time.monotonic() < deadline:
            time.sleep(0.02)
            text = (self.state / "access.log").read_text()
        return text
