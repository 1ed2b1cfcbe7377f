import pytest

from tests.mail.scripted_server import ScriptedServer


@pytest.fixture
def scripted_server():
    """Start scripted SMTP servers with start(replies, **options); each is stopped
    after the test, and whatever went wrong in its thread fails the test."""
    started = []

    def start(replies=None, **options) -> ScriptedServer:
        server = ScriptedServer(replies, **options)
        started.append(server)
        return server

    try:
        yield start
    finally:
        for server in started:
            server.stop()
        for server in started:
            assert server.errors == []
