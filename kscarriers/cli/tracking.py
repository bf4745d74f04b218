"""``track`` and ``detect``: a waybill's scans, and which carrier a number belongs to."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import IO, Any, Dict, Iterator, List, Optional, Sequence, Tuple, Union

import click

from ..errors import KsCarriersError
from ..models import TrackResult
from ..registry import candidates, normalise_waybill
from .context import Context, json_option, run
from .output import (
    TRACK_HEADERS,
    ExitCode,
    error_object,
    exit_code_of,
    table,
    track_json,
    track_rows,
)

__all__ = ["COMMANDS"]

MAX_CONCURRENCY = 64
Outcome = Union[TrackResult, KsCarriersError]


def _waybills_from(stream: IO[str]) -> List[str]:
    """One waybill per line; blank lines and ``#`` comments are skipped."""
    found = []
    for line in stream:
        text = line.split("#", 1)[0].strip()
        if text:
            found.append(text)
    return found


def _track_all(
    state: Context,
    waybills: Sequence[str],
    *,
    carrier: Optional[str],
    concurrency: int,
    progress: bool,
) -> List[Tuple[str, Outcome]]:
    client = state.client()

    def one(waybill: str) -> Outcome:
        try:
            return client.track(waybill, carrier)
        except KsCarriersError as exc:
            return exc

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        outcomes: Iterator[Outcome] = pool.map(one, waybills)
        if progress:
            with click.progressbar(
                outcomes, length=len(waybills), label="tracking", file=click.get_text_stream("stderr")
            ) as bar:
                collected = list(bar)
        else:
            collected = list(outcomes)
    return list(zip(waybills, collected))


def _summary_row(waybill: str, outcome: Outcome) -> List[Any]:
    if isinstance(outcome, KsCarriersError):
        return [waybill, getattr(outcome, "carrier", ""), "ERROR", "", str(outcome)]
    latest = outcome.latest
    return [
        outcome.waybill,
        outcome.carrier,
        outcome.status,
        latest.time if latest is not None else "",
        latest.description if latest is not None else "",
    ]


@click.command(
    epilog="""\b
Examples:
  kscarriers track 73100130019486
  kscarriers track --carrier sto 777031922725111
  kscarriers track 73100130019486 YT2600227881409 JT2099306666983
  kscarriers track --file waybills.txt --concurrency 8
  cat waybills.txt | kscarriers --json track --file - > results.json"""
)
@click.argument("waybills", nargs=-1)
@click.option("--carrier", default=None, help="The carrier slug, when the number fits more than one.")
@click.option(
    "--file",
    "file",
    type=click.File("r", encoding="utf-8"),
    default=None,
    help="Read waybills from FILE, one a line ('-' reads stdin; '#' starts a comment).",
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, MAX_CONCURRENCY),
    default=4,
    show_default=True,
    help="How many waybills are tracked at once.",
)
@click.option("--phone-tail", default=None, metavar="DIGITS", help="Last 4 phone digits (ZTO asks for them).")
@click.option(
    "--progress/--no-progress", default=None, help="A progress bar on stderr (default: for many waybills)."
)
@json_option
@click.pass_obj
@run
def track(
    state: Context,
    waybills: Tuple[str, ...],
    carrier: Optional[str],
    file: Optional[IO[str]],
    concurrency: int,
    phone_tail: Optional[str],
    progress: Optional[bool],
) -> ExitCode:
    """Show a waybill's scans, or a summary line for each of many waybills.

    One waybill prints its scans, oldest first; several (as arguments or from --file) print
    one line each with the latest scan, tracked --concurrency at a time. With --json, one
    waybill prints its result object and several print a list of
    {"waybill", "ok", "result" or "error"}. Exit code: 0 when every waybill was tracked,
    else the highest code of the failures.
    """
    numbers = list(waybills) + (_waybills_from(file) if file is not None else [])
    if not numbers:
        raise click.UsageError("give a waybill, or --file with one waybill a line")
    if len(numbers) == 1 and file is None:
        result = state.client().track(numbers[0], carrier, phone_tail=phone_tail)
        if state.as_json:
            click.echo(json.dumps(track_json(result), ensure_ascii=False))
        else:
            click.echo(f"{result.carrier} {result.waybill}: {result.status.value}")
            click.echo(table(TRACK_HEADERS, track_rows(result)))
        return ExitCode.OK
    if phone_tail is not None:
        raise click.UsageError("--phone-tail belongs to one waybill; track that one alone")
    show = progress if progress is not None else (not state.as_json and len(numbers) > 1)
    outcomes = _track_all(state, numbers, carrier=carrier, concurrency=concurrency, progress=show)
    if state.as_json:
        items: List[Dict[str, Any]] = [
            {"waybill": w, "ok": False, "error": error_object(o)}
            if isinstance(o, KsCarriersError)
            else {"waybill": w, "ok": True, "result": track_json(o)}
            for w, o in outcomes
        ]
        click.echo(json.dumps(items, ensure_ascii=False))
    else:
        rows = [_summary_row(w, o) for w, o in outcomes]
        click.echo(table(("waybill", "carrier", "status", "latest scan", "description"), rows))
    codes = [exit_code_of(o) for _, o in outcomes if isinstance(o, KsCarriersError)]
    return max(codes, default=ExitCode.OK)


@click.command(
    epilog="""\b
Examples:
  kscarriers detect 73100130019486
  kscarriers --json detect 777031922725111"""
)
@click.argument("waybill")
@json_option
@click.pass_obj
@run
def detect(state: Context, waybill: str) -> ExitCode:
    """Say which carriers a waybill number fits (no request is sent).

    The number is normalised first (full-width digits, spaces and hyphens from labels).
    More than one carrier means commands need --carrier for it. Exit code 2 when the number
    fits no carrier.
    """
    number = normalise_waybill(waybill)
    found = candidates(number)
    try:
        configured: Optional[Sequence[str]] = sorted(state.config().carriers)
    except KsCarriersError:
        configured = None  # detection needs no credentials
    if state.as_json:
        click.echo(
            json.dumps(
                {
                    "waybill": number,
                    "candidates": list(found),
                    "configured": [s for s in found if configured is not None and s in configured],
                }
            )
        )
    elif found:
        rows = [[slug, "yes" if configured is not None and slug in configured else "no"] for slug in found]
        click.echo(f"{number} fits {', '.join(found)}" + (" (pass --carrier)" if len(found) > 1 else ""))
        click.echo(table(("carrier", "configured"), rows))
    if not found:
        if not state.as_json:
            click.echo(f"kscarriers: bad input: {number} fits no known carrier's waybill format", err=True)
        return ExitCode.BAD_INPUT
    return ExitCode.OK


COMMANDS = [track, detect]
