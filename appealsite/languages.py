"""Every public page's address names its language: /en/appeals/…, /uk/appeals/….

A page is then the same for everyone who asks for its address, so nginx or a CDN
can keep one copy per address (README "Performance"). The addresses used before
languages had their own (links in sent emails, printed short links, embeds) keep
working: a GET is sent on to the reader's language (from the language cookie of
the earlier switcher, else the browser's Accept-Language), and a form posted to
such an address (from a page opened before) is served where it is, in that
language, so nothing a signer typed is lost to a redirect.

Addresses that are the same in every language stay without a prefix: the JSON,
the count, short links, robots.txt, the sitemap, the admin.
"""

from functools import wraps

from django.conf import settings
from django.http import HttpResponseRedirect
from django.middleware.locale import LocaleMiddleware
from django.urls import get_script_prefix, is_valid_path, translate_url
from django.utils import translation
from django.utils.cache import patch_cache_control, patch_vary_headers

SAFE_METHODS = {"GET", "HEAD"}


class LanguageAddressMiddleware(LocaleMiddleware):
    """Django's LocaleMiddleware, for an address space where pages carry a prefix.

    Instead of Django's redirect of a 404 (which renders the 404 page first, and
    loses a POST), an address without its prefix is recognized up front. And a
    response that is the same in every language (language_neutral) does not
    vary on Accept-Language, so caches keep one copy of it.
    """

    def process_request(self, request):
        urlconf = getattr(request, "urlconf", settings.ROOT_URLCONF)
        path = request.path_info
        if translation.get_language_from_path(path) is None and not is_valid_path(
            path, urlconf
        ):
            language = translation.get_language_from_request(request)
            translation.activate(language)  # Prefixed patterns match the active one.
            prefixed = f"/{language}{path}"
            if is_valid_path(prefixed, urlconf):
                script_prefix = get_script_prefix().rstrip("/")
                request.path_info = prefixed
                request.path = f"{script_prefix}{prefixed}"
                if request.method in SAFE_METHODS:
                    return language_redirect(request.get_full_path())
        super().process_request(request)

    def process_response(self, request, response):
        if getattr(response, "language_neutral", False):
            return response
        return super().process_response(request, response)


def language_redirect(url: str) -> HttpResponseRedirect:
    """Send a reader on to a page in their language: a choice made per reader."""
    response = HttpResponseRedirect(url)
    patch_vary_headers(response, ["Accept-Language", "Cookie"])
    patch_cache_control(response, private=True, max_age=0)
    return response


def language_neutral(view):
    """Mark a view whose answer is the same in every interface language."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response.language_neutral = True
        return response

    return wrapper


def neutral_path(path: str) -> str:
    """The address without its language prefix: it sends each reader to their own.

    For what is shared or printed (share links, the JSON's addresses): a reader
    in Kazakhstan who opens a link shared from Kyiv gets the page in their own
    language, not the sharer's.
    """
    language = translation.get_language_from_path(path)
    if language is None:
        return path
    return path.removeprefix(f"/{language}")


# Each language's name as its readers write it, for the switcher and the "Read
# in:" links (Django's own name for Kazakh, "Қазақ", is the people, not the language).
NAMES_IN_THEMSELVES = {
    "en": "English",
    "uk": "Українська",
    "ru": "Русский",
    "kk": "Қазақша",
}


def name_in_itself(code: str) -> str:
    """A language's name in that language: what its reader looks for."""
    if code in NAMES_IN_THEMSELVES:
        return NAMES_IN_THEMSELVES[code]
    return translation.get_language_info(code)["name_local"].capitalize()


def switcher_position(code: str) -> int:
    """Where a language stands in the switcher's order; others after them all."""
    codes = [code for code, _name in settings.LANGUAGES]
    return codes.index(code) if code in codes else len(codes)


def language_to_write_in(version_language: str) -> str:
    """The language a signer's emails are written in: that of the version they
    read, if the interface speaks it, else the interface language they used."""
    if version_language in dict(settings.LANGUAGES):
        return version_language
    return translation.get_language()


def other_languages(request) -> list[dict]:
    """This page's address in each interface language, for hreflang and the switcher."""
    current = translation.get_language()
    path = request.get_full_path()
    return [
        {
            "code": code,
            "name": name_in_itself(code),
            "url": translate_url(path, code),
            "current": code == current,
        }
        for code, _name in settings.LANGUAGES
    ]


def offered_language(code: str) -> str:
    """The language to write in for someone who chose `code`: it, if the site
    still offers it, else the default. A signer's language may be one the
    operator has since left out of INTERFACE_LANGUAGES, whose addresses are gone."""
    return code if code in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE
