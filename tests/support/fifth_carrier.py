"""A throwaway fifth carrier, ``yd``, built from ZTO on both sides, as a new carrier's author would.

The SDK's ``kscarriers/carriers/zto/`` and the mock's ``mockserver/carriers/zto/`` folders are
copied (with ``zto``/``Zto``/``ZTO`` renamed ``yd``/``Yd``/``YD``) into a scratch folder that is
added to each ``carriers`` package's search path, given a waybill format of their own, and
registered: the programmatic twin of the two entry-point lines a built-in carrier adds to
``setup.py``. Nothing else is edited, so whatever still needs a hand-kept list shows up here.

Used as a pytest plugin (``-p fifth_carrier``) by ``tests/test_fifth_carrier.py``, which runs the
contract suites in a child process so that the extra carrier never leaks into other tests;
``KSCARRIERS_FIFTH_CARRIER_DIR`` names the scratch folder.
"""

from __future__ import annotations

import importlib
import os
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import carrier_calls
import ksmock
import mockpushkit
from attrs import evolve

import kscarriers
import kscarriers.carriers
import mockserver.carriers

ROOT = Path(__file__).resolve().parents[2]
SLUG = "yd"
#: A waybill in the new carrier's own format (``YD`` and 13 digits).
WAYBILL = "YD2600227881409"
WAYBILL_RE = re.compile(r"YD\d{13}")
_RENAMES = (("zto", "yd"), ("Zto", "Yd"), ("ZTO", "YD"))


def _copy(source: Path, target: Path) -> None:
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    for path in source.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        for old, new in _RENAMES:
            text = text.replace(old, new)
        (target / path.name).write_text(text, encoding="utf-8")


def build(scratch: Path) -> None:
    """Write the two copied carrier folders under ``scratch``."""
    _copy(ROOT / "kscarriers" / "carriers" / "zto", scratch / "sdk" / SLUG)
    _copy(ROOT / "mockserver" / "carriers" / "zto", scratch / "mock" / SLUG)


class YdCalls(carrier_calls.Zto):
    """The signed-call harness of the copy: ZTO's, at ``/yd`` with its renamed API names."""

    slug, waybill = SLUG, WAYBILL

    def _post(self, api: str, body: Any) -> Any:
        raw = carrier_calls._compact(body)
        return self.client.post(
            f"/{SLUG}/{api.replace('zto', SLUG)}",
            data=raw.encode("utf-8"),
            content_type="application/json",
            headers={"x-appKey": self.key, "x-dataDigest": carrier_calls._b64md5(raw + self.secret)},
        )


def install(scratch: Path) -> None:
    """Import the copies as ``kscarriers.carriers.yd`` and ``mockserver.carriers.yd``; register them.

    Both rank after the built-in four (the copies would otherwise keep ZTO's rank).
    """
    kscarriers.carriers.__path__.append(str(scratch / "sdk"))
    mockserver.carriers.__path__.append(str(scratch / "mock"))
    sdk = importlib.import_module(f"kscarriers.carriers.{SLUG}")
    mock = importlib.import_module(f"mockserver.carriers.{SLUG}")

    adapter: Any = sdk.YdAdapter
    adapter.waybill_patterns = (WAYBILL_RE,)
    adapter.rank = 100
    carrier = mock.CARRIER
    checker_module = sys.modules[carrier.is_valid_waybill.__module__]
    checker_module.WAYBILL_RE = re.compile(rf"^{WAYBILL_RE.pattern}$")

    kscarriers.default_registry.register(adapter)
    mockserver.carriers.default_registry.register(evolve(carrier, rank=100))
    ksmock.WAYBILLS[SLUG] = WAYBILL
    mockpushkit.SIGNED[SLUG] = mockpushkit.SIGNED["zto"]  # the copy signs its pushes as ZTO does
    carrier_calls.CARRIERS[SLUG] = YdCalls


def pytest_configure(config: Any) -> None:
    scratch = Path(os.environ["KSCARRIERS_FIFTH_CARRIER_DIR"])
    build(scratch)
    install(scratch)
