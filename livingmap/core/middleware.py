"""The shared input layer: text that could never be meant is refused before any view, form,
selector or the database sees it.

Every text a request carries into the site — its path, its query parameters, its form fields
(and the names of uploaded files), the strings of a JSON body, and its cookies — is checked
once, here, for characters no one types: NUL and the other C0 control characters (tabs, line
feeds and carriage returns are text and pass), and lone surrogates (which no UTF-8 can carry and
PostgreSQL cannot store), and for bytes that are not UTF-8. A request with any is answered with a
400 and a message saying where the character was: the site's error page, or under the APIs
their {"detail": "message"}. PostgreSQL refuses NUL in text outright, SQLite would store it;
this way both databases see the same input and no view needs its own check.

Files uploaded for an import are read by the importers, which refuse such rows one by one
(core.importing); their contents are not checked here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import unquote_to_bytes

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader

from .text import DISALLOWED_CHARACTERS, describe_character

#: Characters refused anywhere in a request's text (core.text: C0 controls but tab, line feed
#: and carriage return, and lone surrogates).
DISALLOWED = DISALLOWED_CHARACTERS
#: Paths whose clients read JSON (as core.views.JSON_PREFIXES).
JSON_PREFIXES = ("/api/", "/openreferral/")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class UnacceptableInput(ValueError):
    """Text a request cannot carry; the message says where it was."""


def disallowed_character(text: str) -> str | None:
    """The first character of `text` that no input may hold, or None."""
    match = DISALLOWED.search(text)
    return match.group() if match else None


_describe = describe_character


def _check(text: str, where: str) -> None:
    char = disallowed_character(text)
    if char is not None:
        raise UnacceptableInput(
            f"{where} contains {_describe(char)}, which is not allowed. Remove it and try again."
        )


def _check_utf8(raw: str, where: str, *, wsgi: bool = False) -> None:
    """`raw`, percent-decoded, must be UTF-8 (`wsgi`: a WSGI string, bytes as latin-1)."""
    try:
        data = raw.encode("latin-1") if wsgi else raw.encode("utf-8", "surrogatepass")
        unquote_to_bytes(data).decode("utf-8")
    except UnicodeError as exc:
        raise UnacceptableInput(
            f"{where} is not valid UTF-8 text. Check it and try again."
        ) from exc


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """(where, text) for every key and string in a parsed JSON document."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield f"{path}.{key}" if path else str(key), str(key)
            yield from _strings(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _strings(item, f"{path}[{i}]")


def check_request(request: HttpRequest) -> None:
    """Raise UnacceptableInput if any text of the request holds a disallowed character."""
    # Django has already put bytes that are not UTF-8 back as %XX (repercent_broken_unicode),
    # so they are looked for in the path as it now stands.
    _check_utf8(request.path_info, "The web address")
    _check(request.path, "The web address")
    _check_utf8(
        request.META.get("QUERY_STRING", ""), "The query string of the web address", wsgi=True
    )
    for name, values in request.GET.lists():
        _check(name, f'The name of the parameter "{name.encode("unicode_escape").decode()}"')
        for value in values:
            _check(value, f'The parameter "{name}"')
    for name, value in request.COOKIES.items():
        _check(name + value, "A cookie sent with the request")
    content_type = request.content_type or ""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    if content_type in FORM_TYPES:
        for name, values in request.POST.lists():
            _check(name, "The name of a form field")
            for value in values:
                _check(value, f'The form field "{name}"')
        for name, files in request.FILES.lists():
            for upload in files:
                _check(upload.name or "", f'The name of the file sent as "{name}"')
    elif content_type == "application/json" or content_type.endswith("+json"):
        try:
            document = json.loads(request.body or b"null")
        except ValueError:
            return  # not JSON at all: the API says so in its own words
        for where, text in _strings(document, ""):
            _check(text, f'The field "{where}" of the request' if where else "The request")


class InputCheckMiddleware:
    """Refuse, with a 400 and a message, any request whose text holds NUL, another control
    character or a lone surrogate (see the module's docstring)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            check_request(request)
        except UnacceptableInput as refusal:
            return bad_input_response(request, str(refusal))
        return self.get_response(request)


def bad_input_response(request: HttpRequest, message: str) -> HttpResponse:
    """A 400: {"detail": message} under the APIs, else the site's error page. Neither reads the
    session or the database (the request may have been made to break them)."""
    if request.path.startswith(JSON_PREFIXES):
        response = JsonResponse({"detail": message}, status=400)
        if request.path.startswith("/openreferral/"):
            # open to every origin, as its answers are (openreferral.views), so that a
            # browser client can read why it was refused
            response["Access-Control-Allow-Origin"] = "*"
        return response
    return HttpResponse(loader.get_template("400.html").render({"message": message}), status=400)
