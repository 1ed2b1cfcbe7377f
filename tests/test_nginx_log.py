"""The nginx log format in docs/deploy.md, run by a real nginx: nothing personal.

The map and the log format are taken from the guide itself, so the guide cannot
drift from what is tested. Needs Debian's nginx (CI installs it).
"""

import os
import re
import shutil
import subprocess
import urllib.request
from pathlib import Path

import pytest

from tests.processes import BASE_DIR, free_port

GUIDE = BASE_DIR / "docs" / "deploy.md"


def guide_snippets() -> str:
    """The `map $uri $loggable_uri` block and the `log_format noip` of the guide."""
    text = GUIDE.read_text()
    mapping = re.search(r"map \$uri \$loggable_uri \{.*?\n\}", text, re.S).group(0)
    log_format = re.search(r"log_format noip .*?;", text, re.S).group(0)
    return f"{mapping}\n{log_format}"


def test_the_guides_nginx_log_holds_no_token_query_or_address(tmp_path: Path):
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.path.exists(nginx):
        if os.environ.get("CI") == "true":
            pytest.fail("CI needs nginx: apt-get install nginx")
        pytest.skip("needs nginx (apt-get install nginx; CI has it)")
    port = free_port()
    temp_paths = "\n".join(
        f"{name}_temp_path {tmp_path}/{name};"
        for name in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (tmp_path / "nginx.conf").write_text(
        f"""
        pid {tmp_path}/nginx.pid;
        error_log {tmp_path}/error.log;
        events {{}}
        http {{
            {guide_snippets()}
            access_log {tmp_path}/access.log noip;
            {temp_paths}
            server {{
                listen 127.0.0.1:{port};
                location / {{ return 200 "ok"; }}
            }}
        }}
        """
    )
    command = [nginx, "-c", f"{tmp_path}/nginx.conf", "-p", str(tmp_path)]
    subprocess.run(command, check=True, capture_output=True)
    paths = [
        "/my-data/s3cret-token/",
        "/my-data/s3cret-token/data.json",
        "/uk/signatures/confirm/eyJ0:s3cret/",
        "/signatures/withdraw/eyJ0:s3cret/",
        "/admin/appeals/signature/?q=ann%40example.org",
    ]
    try:
        for path in paths:
            urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5).read()
    finally:
        subprocess.run([*command, "-s", "stop"], check=False, capture_output=True)
    log = (tmp_path / "access.log").read_text()

    assert log.count('"GET /') == len(paths)
    assert '"GET /my-data/-/data.json"' in log
    assert "s3cret" not in log
    assert "ann" not in log
    assert "127.0.0.1" not in log
