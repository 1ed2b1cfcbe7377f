"""nginx as shipped (deploy/nginx/appealsite.conf), run for real: no personal log.

Needs Debian's nginx (CI installs it). The whole site file runs, in front of a
stand-in for the app, exactly as the benchmark and the drill run it.
"""

import os
import shutil
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bench.nginx import Nginx
from tests.processes import free_port


class PrivateAnswer(BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Cache-Control", "private")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


def test_the_shipped_nginx_logs_no_token_query_or_address(tmp_path: Path):
    if not os.path.exists(shutil.which("nginx") or "/usr/sbin/nginx"):
        if os.environ.get("CI") == "true":
            pytest.fail("CI needs nginx: apt-get install nginx")
        pytest.skip("needs nginx (apt-get install nginx; CI has it)")
    app = ThreadingHTTPServer(("127.0.0.1", 0), PrivateAnswer)
    threading.Thread(target=app.serve_forever, daemon=True).start()
    nginx = Nginx(port=free_port(), app_port=app.server_port, root=tmp_path)
    paths = [
        "/my-data/s3cret-token/",
        "/my-data/s3cret-token/data.json",
        "/uk/signatures/confirm/eyJ0:s3cret/",
        "/signatures/withdraw/eyJ0:s3cret/",
        "/admin/appeals/signature/?q=ann%40example.org",
    ]
    nginx.start()
    try:
        for path in paths:
            request = urllib.request.Request(
                f"{nginx.base}{path}", headers={"X-Forwarded-For": "198.51.100.7"}
            )
            urllib.request.urlopen(request, timeout=5).read()
        log = nginx.access_log(lines=len(paths))
    finally:
        nginx.stop()
        app.shutdown()

    assert log.count('"GET /') == len(paths)
    assert '"GET /my-data/-/data.json"' in log
    assert "s3cret" not in log
    assert "ann" not in log
    assert "127.0.0.1" not in log and "198.51.100.7" not in log
