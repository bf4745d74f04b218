"""``verify-push``: is a captured carrier push validly signed, and what does it say."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import click

from ..errors import ResponseFormatError, SignatureError, ValidationError
from ..registry import default_registry
from .context import Context, json_option, run
from .output import PUSH_HEADERS, ExitCode, error_object, jsonable, push_rows, table

__all__ = ["COMMANDS", "parse_header_lines", "split_http_request"]


def parse_header_lines(text: str, *, where: str) -> List[Tuple[str, str]]:
    """``Name: value`` lines as pairs; a request line (``POST /push HTTP/1.1``) first is skipped."""
    pairs: List[Tuple[str, str]] = []
    lines = text.replace("\r\n", "\n").split("\n")
    if lines and " " in lines[0] and ":" not in lines[0].split(" ", 1)[0] and "HTTP/" in lines[0]:
        lines = lines[1:]
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        name, colon, value = line.partition(":")
        if not colon or not name.strip() or name != name.strip():
            raise ValidationError(field=where, reason=f"line {number} is not 'Name: value': {line[:60]!r}")
        pairs.append((name, value.strip()))
    return pairs


def split_http_request(raw: bytes) -> Tuple[List[Tuple[str, str]], bytes]:
    """The headers and the body of a raw HTTP/1.1 request as captured (CRLF or LF line ends).

    The body is what follows the first empty line, cut to ``Content-Length`` when given.
    """
    for separator in (b"\r\n\r\n", b"\n\n"):
        head, found, body = raw.partition(separator)
        if found:
            break
    else:
        raise ValidationError(field="request", reason="no empty line between the headers and the body")
    try:
        text = head.decode("latin-1")
    except UnicodeDecodeError:  # latin-1 decodes every byte; kept for clarity
        raise ValidationError(field="request", reason="headers are not text") from None
    if not text.split("\n", 1)[0].rstrip("\r").endswith(("HTTP/1.1", "HTTP/1.0", "HTTP/2")):
        raise ValidationError(
            field="request", reason="does not start with a request line (POST /path HTTP/1.1)"
        )
    headers = parse_header_lines(text, where="request")
    for name, value in headers:
        if name.lower() == "content-length" and value.isdigit():
            body = body[: int(value)]
    return headers, body


def _read(path: str) -> bytes:
    return Path(path).read_bytes()


@click.command(
    "verify-push",
    epilog="""\b
Examples:
  kscarriers verify-push zto --request captured.http
  kscarriers verify-push jt --headers headers.txt --body body.bin
  kscarriers --json verify-push sto --request - < captured.http

\b
A raw request is what a proxy or `nc -l` captures: the request line, the headers, an empty
line, the body. A headers file holds `Name: value` lines. Exit code 0 when the push is
valid, 7 when it is not (the reason is printed: mismatch, missing_header, unknown_account,
bad_encoding, malformed, stale), 3 when the carrier has no credentials configured.""",
)
@click.argument("carrier")
@click.option(
    "--request", "request_file", default=None, metavar="FILE", help="A raw HTTP request ('-' for stdin)."
)
@click.option(
    "--headers", "headers_file", default=None, metavar="FILE", help="The push's headers, one a line."
)
@click.option("--body", "body_file", default=None, metavar="FILE", help="The push's raw body.")
@json_option
@click.pass_obj
@run
def verify_push(
    state: Context,
    carrier: str,
    request_file: Optional[str],
    headers_file: Optional[str],
    body_file: Optional[str],
) -> ExitCode:
    """Check a captured push of CARRIER with the configured secret and show its events."""
    slug = carrier.strip().lower()
    if slug not in default_registry.slugs():
        raise click.BadParameter(f"{carrier!r} is no carrier ({', '.join(default_registry.slugs())})")
    if request_file is not None:
        if headers_file is not None or body_file is not None:
            raise click.UsageError("give --request, or --headers with --body, not both")
        raw = click.get_binary_stream("stdin").read() if request_file == "-" else _read(request_file)
        headers, body = split_http_request(raw)
    elif body_file is not None:
        headers = []
        if headers_file is not None:
            headers = parse_header_lines(_read(headers_file).decode("latin-1"), where="headers")
        body = _read(body_file)
    else:
        raise click.UsageError("give --request FILE, or --body FILE (with --headers FILE)")
    client = state.client()
    try:
        message = client.parse_push(slug, headers, body)
    except (SignatureError, ResponseFormatError) as exc:
        return _invalid(state, exc)
    except ValidationError as exc:
        if exc.field in ("body", "carrier"):
            raise
        return _invalid(state, exc)  # a verified push of an unknown type
    if state.as_json:
        click.echo(
            json.dumps(
                {
                    "valid": True,
                    "carrier": slug,
                    "events": jsonable(message.events),
                    "ack": {
                        "status": message.ack.status,
                        "content_type": message.ack.content_type,
                        "body": message.ack.body.decode("utf-8"),
                    },
                },
                ensure_ascii=False,
            )
        )
    else:
        click.echo(f"valid {slug} push: {len(message.events)} event(s)")
        click.echo(table(PUSH_HEADERS, push_rows(message)))
        click.echo(f"acknowledge with HTTP {message.ack.status}: {message.ack.body.decode('utf-8')}")
    return ExitCode.OK


def _invalid(state: Context, error: Exception) -> ExitCode:
    reason = getattr(error, "reason", "") or type(error).__name__
    if state.as_json:
        found: Dict[str, object] = {"valid": False, **error_object(error), "reason": reason}
        click.echo(json.dumps(found, ensure_ascii=False))
    else:
        click.echo(f"invalid push: {reason}: {error}")
    return ExitCode.PUSH_INVALID


COMMANDS = [verify_push]
