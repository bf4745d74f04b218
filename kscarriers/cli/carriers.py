"""``carriers``: what each registered carrier supports."""

from __future__ import annotations

import json
from typing import Any, Dict, List

import click

from ..models import Operation
from ..registry import default_registry
from .context import Context, json_option, run
from .output import ExitCode, table

__all__ = ["COMMANDS", "describe"]


def describe() -> List[Dict[str, Any]]:
    """Each registered carrier: slug, name, operations (in the order of :class:`Operation`), formats."""
    found = []
    for slug in default_registry.slugs():
        adapter = default_registry.get(slug)
        found.append(
            {
                "carrier": slug,
                "name": adapter.display_name,
                "operations": [op.value for op in Operation if op in adapter.operations],
                "waybill_formats": [p.pattern for p in adapter.waybill_patterns],
            }
        )
    return found


@click.command(
    epilog="""\b
Examples:
  kscarriers carriers
  kscarriers --json carriers | jq '.[] | select(.operations | index("cancel_intercept")) | .carrier'"""
)
@json_option
@click.pass_obj
@run
def carriers(state: Context) -> ExitCode:
    """List the carriers, the operations each offers and its waybill formats (regexes)."""
    found = describe()
    if state.as_json:
        click.echo(json.dumps(found, ensure_ascii=False))
        return ExitCode.OK
    rows = [
        [c["carrier"], c["name"], ", ".join(c["operations"]), " or ".join(c["waybill_formats"])]
        for c in found
    ]
    click.echo(table(("carrier", "name", "operations", "waybill formats"), rows))
    return ExitCode.OK


COMMANDS = [carriers]
