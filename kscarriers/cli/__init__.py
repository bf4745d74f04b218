"""The ``kscarriers`` command: track, detect, intercept, cancel, status, verify-push, carriers.

Needs ``click`` (the ``cli`` extra: ``pip install 'kscarriers[cli]'``). :func:`main` is the
console script; without click it prints one line saying what to install and exits 2.
See docs/cli.md.
"""

from __future__ import annotations

import sys
from typing import Optional, Sequence

__all__ = ["main"]

MISSING_CLICK = "kscarriers: the command line needs click; install it with: pip install 'kscarriers[cli]'"


def main(argv: Optional[Sequence[str]] = None) -> None:
    """Run the command line (``argv`` defaults to ``sys.argv[1:]``); exits with its exit code."""
    try:
        import click  # noqa: F401
    except ImportError:
        print(MISSING_CLICK, file=sys.stderr)
        raise SystemExit(2) from None
    from .app import cli

    cli.main(args=list(argv) if argv is not None else None, prog_name="kscarriers")
