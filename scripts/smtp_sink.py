"""A real SMTP server that accepts mail and throws it away, for tests and benchmarks.

    python scripts/smtp_sink.py --port 2525 [--log FILE [--arrivals-only]]
        [--refuse-data ADDR ...] [--defer-rcpt ADDR:N ...] [--slow SECONDS]
        [--no-pipelining]

Every message is accepted and discarded, except that messages to a --refuse-data
address get "554 5.7.1 Message refused" after DATA, and a --defer-rcpt address gets
"451 4.3.0 Try again later" at RCPT TO its first N times. --slow waits before
answering DATA, so messages stay in flight. It offers PIPELINING (RFC 2920), as
the relays we send through do, unless --no-pipelining. With --log, each accepted
message is appended to FILE as one JSON line (with --arrivals-only, just its
recipients and time of arrival, nothing parsed); without it nothing is parsed, so
the sink stays fast. "listening on 127.0.0.1:PORT" is printed once connections are
accepted; on SIGTERM or SIGINT the sink prints how many messages it accepted and
exits.
"""

import argparse
import asyncio
import email
import email.policy
import json
import re
import signal
import sys
import time

from aiosmtpd.smtp import SMTP

HOST = "127.0.0.1"
PLAIN_ADDRESS = re.compile(r"<([\w.+-]+@[\w.-]+)>(.*)", re.ASCII)


class FastSMTP(SMTP):
    """aiosmtpd's SMTP, with a quick path for the plain addresses our mail uses."""

    def _getaddr(self, arg):
        # aiosmtpd 1.4.6 runs the email header parser and builds a class on every
        # MAIL and RCPT: after the socket, the sink's largest cost.
        if match := PLAIN_ADDRESS.fullmatch(arg):
            return match[1], match[2].lstrip()
        return super()._getaddr(arg)


class Sink:
    """The aiosmtpd handler: refuse, defer, delay or log as the options say."""

    def __init__(
        self,
        *,
        log_file=None,
        arrivals_only=False,
        refuse=(),
        defer=None,
        slow=0.0,
        pipelining=True,
    ):
        self.log_file = log_file
        self.arrivals_only = arrivals_only
        self.refuse = {address.lower() for address in refuse}
        self.defer = {address.lower(): n for address, n in (defer or {}).items()}
        self.slow = slow
        self.pipelining = pipelining
        self.accepted = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname  # What aiosmtpd does when there is no hook.
        if self.pipelining:
            # As the relays we send through offer it (RFC 2920); aiosmtpd reads
            # commands one line at a time, which is all that pipelining needs.
            responses.insert(-1, "250-PIPELINING")
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        key = address.lower()
        if self.defer.get(key, 0) > 0:
            self.defer[key] -= 1
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.slow:
            await asyncio.sleep(self.slow)
        if self.refuse and any(to.lower() in self.refuse for to in envelope.rcpt_tos):
            return "554 5.7.1 Message refused"
        self.accepted += 1
        if self.log_file:
            self.log(envelope)
        return "250 OK"

    def log(self, envelope):
        if self.arrivals_only:
            # Who and when, nothing parsed: a benchmark's sink must not be the
            # bottleneck it measures (parsing cost three times the rest).
            entry = {"to": envelope.rcpt_tos, "at": time.time()}
            self.log_file.write(json.dumps(entry) + "\n")
            self.log_file.flush()
            return
        message = email.message_from_bytes(
            envelope.original_content, policy=email.policy.default
        )
        body = message.get_body(preferencelist=("plain",))
        # Lines end in CRLF on the wire; tests compare with what Django rendered.
        text = body.get_content().replace("\r\n", "\n") if body else None
        entry = {
            "to": envelope.rcpt_tos,
            "subject": message["Subject"],
            "message_id": message["Message-ID"],
            "at": time.time(),
            "body": text,
        }
        self.log_file.write(json.dumps(entry) + "\n")
        self.log_file.flush()


def say(line: str) -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def address_count(value: str) -> tuple[str, int]:
    """Parse ADDR:N for --defer-rcpt."""
    address, _, count = value.rpartition(":")
    if not address or not count.isdigit():
        raise argparse.ArgumentTypeError(f"expected ADDR:N, not {value!r}")
    return address, int(count)


async def serve(port: int, sink: Sink) -> None:
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    # A fixed hostname: aiosmtpd would otherwise look up the FQDN per connection.
    server = await loop.create_server(
        lambda: FastSMTP(sink, hostname="smtp-sink", ident="smtp-sink"), HOST, port
    )
    say(f"listening on {HOST}:{port}")
    await stopping.wait()
    # Not wait_closed(): it would wait for clients that keep their connection open.
    server.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log", metavar="FILE")
    parser.add_argument(
        "--arrivals-only",
        action="store_true",
        help="With --log, log only each message's recipients and time of arrival.",
    )
    # Each takes one or more values and may be repeated.
    many = {"action": "extend", "nargs": "+", "default": []}
    parser.add_argument("--refuse-data", metavar="ADDR", **many)
    parser.add_argument("--defer-rcpt", metavar="ADDR:N", type=address_count, **many)
    parser.add_argument("--slow", metavar="SECONDS", type=float, default=0.0)
    parser.add_argument(
        "--no-pipelining",
        action="store_true",
        help="Do not offer PIPELINING: a server that wants one command at a time.",
    )
    args = parser.parse_args()

    log_file = open(args.log, "a", encoding="utf-8") if args.log else None  # noqa: SIM115
    sink = Sink(
        log_file=log_file,
        arrivals_only=args.arrivals_only,
        refuse=args.refuse_data,
        defer=dict(args.defer_rcpt),
        slow=args.slow,
        pipelining=not args.no_pipelining,
    )
    try:
        asyncio.run(serve(args.port, sink))
    finally:
        if log_file:
            log_file.close()
    say(f"accepted {sink.accepted} messages")


if __name__ == "__main__":
    main()
