"""The site as an onion service, for readers behind censorship and signers at risk.

ONION_URL names the onion address (http://<56 letters and digits>.onion). Tor hands
each visitor to nginx's onion listener (deploy/nginx/appealsite.conf), which tells
the app two things about the request:

- X-Forwarded-Proto: https. The onion connection is encrypted end to end and
  authenticated by the address itself, and Tor Browser treats .onion as a secure
  context: the app must not redirect it to an https:// address that has no
  certificate, and its Secure cookies still work for staff.
- X-Forwarded-For: the Tor circuit, as Tor exports it (HiddenServiceExportCircuitID
  haproxy: an address in TOR_CIRCUITS). Every onion visitor comes from the local
  Tor daemon; without it they would all be one client, and the per-client limits
  would quarantine everyone after the first ten. appeals.antispam keeps each
  circuit apart.

On the clearnet, every page names its onion twin (`Onion-Location`: Tor Browser
offers to go there). Under the onion host, pages link to the onion address
(`site_url`), never to the clearnet host except in their canonical link, and say
nothing about HSTS: a browser that applied it to the onion would ask for https
there.
"""

import functools
import ipaddress
from urllib.parse import urlsplit

from django.conf import settings

# Where Tor's exported circuit IDs live: the last 32 bits are the circuit's number.
TOR_CIRCUITS = ipaddress.IPv6Network("fc00:dead:beef:4dad::/64")


def onion_host() -> str:
    return _host(settings.ONION_URL)


@functools.lru_cache(maxsize=4)
def _host(url: str) -> str:
    return urlsplit(url).netloc.lower()


def is_onion(request) -> bool:
    """Whether the request came to the onion address (set by OnionMiddleware)."""
    return getattr(request, "is_onion", False)


class OnionMiddleware:
    """Tell onion requests apart; name the onion twin of every clearnet page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        host = onion_host()
        # The Host header as sent: Django's get_host() would raise on a host it
        # does not serve, and that is for its own check to answer (400).
        request.is_onion = bool(host) and (
            request.META.get("HTTP_HOST", "").lower() == host
        )
        response = self.get_response(request)
        if request.is_onion:
            del response["Strict-Transport-Security"]
        elif host and response.get("Content-Type", "").startswith("text/html"):
            response["Onion-Location"] = (
                f"{settings.ONION_URL}{request.get_full_path()}"
            )
        return response
