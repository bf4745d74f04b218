"""``intercept``, ``cancel`` and ``status``: stop a parcel, withdraw that, and see where it stands."""

from __future__ import annotations

import json
from typing import Optional

import click

from ..errors import OutcomeUnknownError
from ..models import Address, InterceptKind, InterceptResult
from .context import Context, json_option, run
from .output import INTERCEPT_HEADERS, ExitCode, intercept_exit, intercept_rows, jsonable, table

__all__ = ["COMMANDS"]

KINDS = {"return": InterceptKind.RETURN_TO_SENDER, "change-address": InterceptKind.CHANGE_ADDRESS}


def _show(state: Context, result: InterceptResult) -> ExitCode:
    if state.as_json:
        click.echo(json.dumps(jsonable(result), ensure_ascii=False))
    else:
        click.echo(table(INTERCEPT_HEADERS, intercept_rows(result)))
    return intercept_exit(result)


def _hint_resume(state: Context, error: OutcomeUnknownError) -> None:
    if not state.as_json:
        click.echo(
            f"kscarriers: hint: run the same command with --idempotency-key {error.request_id} "
            "to settle it without a second intercept",
            err=True,
        )


@click.command(
    epilog="""\b
Examples:
  kscarriers intercept 73100130019486 --reason "refund 1234"
  kscarriers intercept JT2099306666983 --reason "refund 1234" --idempotency-key refund-1234
  kscarriers intercept YT2600227881409 --reason "wrong address" \\
      --to-name 张三 --to-phone 13800000000 --to-province 浙江省 --to-city 杭州市 \\
      --to-district 西湖区 --to-detail "文三路 1 号"

\b
Exit code 4 when the carrier refuses (the failure column says why), 5 when the outcome is
unknown: run the command again with the --idempotency-key it prints."""
)
@click.argument("waybill")
@click.option("--reason", required=True, help="Why the parcel is stopped (sent to the carrier).")
@click.option("--carrier", default=None, help="The carrier slug, when the number fits more than one.")
@click.option(
    "--idempotency-key",
    default=None,
    metavar="KEY",
    help="Your id for this intercept; the same key never intercepts twice.",
)
@click.option("--to-name", default=None, help="Change the address instead: the new receiver's name.")
@click.option("--to-phone", default=None, help="The new receiver's phone (never printed).")
@click.option("--to-province", default=None, help="The new address's province.")
@click.option("--to-city", default=None, help="The new address's city.")
@click.option("--to-district", default="", help="The new address's district.")
@click.option("--to-detail", default="", help="Street and number (never printed).")
@json_option
@click.pass_obj
@run
def intercept(
    state: Context,
    waybill: str,
    reason: str,
    carrier: Optional[str],
    idempotency_key: Optional[str],
    to_name: Optional[str],
    to_phone: Optional[str],
    to_province: Optional[str],
    to_city: Optional[str],
    to_district: str,
    to_detail: str,
) -> ExitCode:
    """Ask the carrier to stop a parcel and send it back (or to a new address with --to-*).

    Prints the result: PENDING (accepted, resolving), SUCCEEDED, or FAILED with the
    normalised failure (already_signed, out_for_delivery, duplicate_request, …) and the
    carrier's own code.
    """
    address = None
    kind = InterceptKind.RETURN_TO_SENDER
    given = {"--to-name": to_name, "--to-phone": to_phone, "--to-province": to_province, "--to-city": to_city}
    if any(v is not None for v in given.values()) or to_district or to_detail:
        missing = [flag for flag, value in given.items() if not value]
        if missing:
            raise click.UsageError(f"a change of address needs {', '.join(missing)}")
        assert to_name and to_phone and to_province and to_city
        kind = InterceptKind.CHANGE_ADDRESS
        address = Address(
            name=to_name,
            phone=to_phone,
            province=to_province,
            city=to_city,
            district=to_district,
            detail=to_detail,
        )
    try:
        result = state.client().intercept(
            waybill,
            carrier=carrier,
            kind=kind,
            new_address=address,
            reason=reason,
            idempotency_key=idempotency_key,
        )
    except OutcomeUnknownError as exc:
        _hint_resume(state, exc)
        raise
    return _show(state, result)


@click.command(
    epilog="""\b
Examples:
  kscarriers cancel 73100130019486
  kscarriers cancel 777031922725111 --intercept-id 5f1c2a --reason "customer kept it\""""
)
@click.argument("waybill")
@click.option("--carrier", default=None, help="The carrier slug, when the number fits more than one.")
@click.option(
    "--reason", default="merchant withdrew the intercept", show_default=True, help="Sent to the carrier."
)
@click.option(
    "--intercept-id",
    default=None,
    help="The carrier's id of the intercept (looked up with the status query where there is one).",
)
@json_option
@click.pass_obj
@run
def cancel(
    state: Context, waybill: str, carrier: Optional[str], reason: str, intercept_id: Optional[str]
) -> ExitCode:
    """Withdraw a pending intercept (J&T has no cancel: exit code 4)."""
    result = state.client().cancel_intercept(
        waybill, carrier=carrier, reason=reason, intercept_request_id=intercept_id
    )
    return _show(state, result)


@click.command(
    epilog="""\b
Examples:
  kscarriers status 73100130019486
  kscarriers --json status YT2600227881409 --kind change-address"""
)
@click.argument("waybill")
@click.option("--carrier", default=None, help="The carrier slug, when the number fits more than one.")
@click.option(
    "--kind",
    type=click.Choice(sorted(KINDS)),
    default="return",
    show_default=True,
    help="Which intercept it was (read from tracking for carriers without a status API).",
)
@json_option
@click.pass_obj
@run
def status(state: Context, waybill: str, carrier: Optional[str], kind: str) -> ExitCode:
    """Show where a waybill's intercept stands.

    ZTO is asked directly (exit code 4 when it has no intercept for the waybill); for the
    others the state is inferred from the tracking scans (raw status
    "derived_from_tracking"). Exit code 4 also when the intercept FAILED.
    """
    result = state.client().intercept_status(waybill, carrier=carrier, kind=KINDS[kind])
    return _show(state, result)


COMMANDS = [intercept, cancel, status]
