"""Scenario files: load and validate hand-written JSON in full before anything is installed."""

from __future__ import annotations

import inspect
import json
import os
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple, Union

from attrs import field, frozen

from ._fields import Fields, describe
from .engine import ScenarioEngine
from .errors import ScenarioFileError, join_path
from .matchers import Match
from .presets import PRESETS, STUB_OPTIONS
from .stubs import Lifetime, Stub, stub_options

__all__ = [
    "ScenarioFile",
    "ScenarioFileError",
    "dump_stubs",
    "install_scenarios",
    "load_payload",
    "load_scenario_file",
    "load_scenarios",
    "stubs_from_entry",
]

FILE_VERSION = 1
FILE_KEYS = ("$schema", "version", "seed", "description", "stubs")
PRESET_KEYS = ("preset", "args", "match", *STUB_OPTIONS)

Source = Union[str, bytes, "os.PathLike[str]", Mapping[str, Any]]


def _stub_tuple(stubs: Iterable[Stub]) -> Tuple[Stub, ...]:
    return tuple(stubs)


@frozen(kw_only=True)
class ScenarioFile:
    """A validated scenario file.

    Args:
        version: Schema version (always 1).
        seed: Seed for the engine's generator, if the file sets one.
        stubs: Every stub, presets expanded, in file order.
    """

    version: int = FILE_VERSION
    seed: Optional[int] = None
    stubs: Tuple[Stub, ...] = field(default=(), converter=_stub_tuple)


def _no_duplicate_keys(pairs: List[Tuple[str, Any]]) -> Dict[str, Any]:
    seen: Dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            # json keeps the last value silently; in a hand-written file that hides a mistake.
            raise ScenarioFileError(message=f"duplicate key {key!r} in one object")
        seen[key] = value
    return seen


def _read(source: Source, fmt: str) -> Tuple[Any, Optional[str]]:
    if fmt != "json":
        raise ValueError(f"unsupported scenario file format {fmt!r} (only 'json')")
    if isinstance(source, Mapping):
        return source, None
    name = None
    if isinstance(source, bytes):
        text = source.decode("utf-8")
    elif isinstance(source, str) and source.lstrip().startswith("{"):
        text = source
    else:
        name = os.fspath(source)
        try:
            with open(name, encoding="utf-8") as handle:
                text = handle.read()
        except OSError as exc:
            raise ScenarioFileError(message=f"cannot read file: {exc.strerror}", source=name) from exc
    try:
        return json.loads(text, object_pairs_hook=_no_duplicate_keys), name
    except json.JSONDecodeError as exc:
        raise ScenarioFileError(message=exc.msg, line=exc.lineno, column=exc.colno, source=name) from None


def _preset_stubs(fields: Fields) -> List[Stub]:
    name = fields.choice("preset", tuple(sorted(PRESETS)), "preset") or ""
    function = PRESETS[name]
    parameters = [
        parameter
        for parameter in inspect.signature(function).parameters.values()
        if parameter.kind is not inspect.Parameter.VAR_KEYWORD
    ]
    args_path = fields.at("args")
    args = Fields(fields.raw("args", {}), args_path, [p.name for p in parameters])
    for parameter in parameters:
        if parameter.default is inspect.Parameter.empty and not args.has(parameter.name):
            raise ScenarioFileError(
                path=args.at(parameter.name),
                message=f"preset {name!r} needs this argument",
            )
    match = Match.from_dict(fields.raw("match", {}), fields.at("match"))
    options: Dict[str, Any] = match.to_dict()
    options.update(stub_options(fields))
    if fields.has("lifetime"):
        options["lifetime"] = Lifetime.from_dict(fields.raw("lifetime"), fields.at("lifetime"))
    try:
        built = function(**args.data, **options)
    except ScenarioFileError as exc:
        # Errors name either a preset argument or a stub option/match field.
        head = exc.path.split(".")[0].split("[")[0]
        prefix = args_path if head in {p.name for p in parameters} else fields.path
        raise exc.within(prefix) from None
    return built if isinstance(built, list) else [built]


def stubs_from_entry(data: Any, path: str = "") -> List[Stub]:
    """Build the stubs of one ``stubs[]`` element: a full stub or a preset reference.

    Raises:
        ScenarioFileError: naming ``path`` and the field at fault.
    """
    if isinstance(data, Mapping) and "preset" in data:
        return _preset_stubs(Fields(data, path, PRESET_KEYS))
    if isinstance(data, Mapping) and "outcome" not in data and "args" in data:
        raise ScenarioFileError(path=join_path(path, "preset"), message="required field is missing")
    return [Stub.from_dict(data, path)]


def _check_ids(stubs: Iterable[Tuple[str, Stub]]) -> None:
    first: Dict[str, str] = {}
    for path, stub in stubs:
        if stub.id in first:
            raise ScenarioFileError(
                path=join_path(path, "id"),
                message=f"duplicate stub id {stub.id!r} (first used by {first[stub.id]})",
            )
        first[stub.id] = path


def _parse_document(data: Any) -> ScenarioFile:
    fields = Fields(data, "", FILE_KEYS)
    version = fields.integer("version")
    if version != FILE_VERSION:
        raise ScenarioFileError(
            path="version", message=f"unsupported version {version} (expected {FILE_VERSION})"
        )
    seed = fields.integer("seed", None)
    entries = fields.raw("stubs")
    if not isinstance(entries, list):
        raise ScenarioFileError(path="stubs", message=f"expected an array of stubs, got {describe(entries)}")
    built: List[Tuple[str, Stub]] = []
    for index, entry in enumerate(entries):
        path = f"stubs[{index}]"
        built.extend((path, stub) for stub in stubs_from_entry(entry, path))
    _check_ids(built)
    return ScenarioFile(version=version, seed=seed, stubs=[stub for _, stub in built])


def load_scenario_file(source: Source, fmt: str = "json") -> ScenarioFile:
    """Read and validate a whole scenario file.

    Args:
        source: JSON text (a ``str`` starting with ``{``), ``bytes``, a path (any other
            ``str`` or a path object), or an already parsed mapping.
        fmt: File format; only ``"json"``.

    Raises:
        ScenarioFileError: for JSON syntax errors (with line and column) and for any
            invalid field (with its path, e.g. ``stubs[2].match.operation``).
        ValueError: for an unsupported ``fmt``.
    """
    data, name = _read(source, fmt)
    try:
        return _parse_document(data)
    except ScenarioFileError as exc:
        if name is None or exc.source:
            raise
        raise ScenarioFileError(
            path=exc.path, message=exc.message, line=exc.line, column=exc.column, source=name
        ) from None


def load_scenarios(source: Source, fmt: str = "json") -> List[Stub]:
    """The stubs of a scenario file (see :func:`load_scenario_file`)."""
    return list(load_scenario_file(source, fmt).stubs)


def load_payload(data: Any) -> ScenarioFile:
    """Validate an admin API body: a whole file, or one ``stubs[]`` element on its own.

    A lone element's errors carry paths relative to it (``match.operation``).
    """
    if isinstance(data, Mapping) and "stubs" in data:
        return load_scenario_file(data)
    stubs = stubs_from_entry(data)
    _check_ids(("", stub) for stub in stubs)
    return ScenarioFile(stubs=stubs)


def install_scenarios(
    engine: ScenarioEngine, source: Source, *, replace: bool = True, fmt: str = "json"
) -> ScenarioFile:
    """Validate a whole file, then install it in one step; an invalid file changes nothing.

    Args:
        engine: The engine to install into.
        source: As for :func:`load_scenario_file`.
        replace: Drop the engine's current stubs and states first.
        fmt: File format; only ``"json"``.

    Raises:
        ScenarioFileError: as :func:`load_scenario_file` (the engine is untouched).
    """
    loaded = load_scenario_file(source, fmt)
    engine.check_carriers(loaded.stubs, "stubs")
    engine.install(loaded.stubs, seed=loaded.seed, replace=replace)
    return loaded


def dump_stubs(stubs: Iterable[Stub], *, seed: Optional[int] = None) -> Dict[str, Any]:
    """A scenario file document holding ``stubs`` (``load_scenarios`` reads it back)."""
    document: Dict[str, Any] = {"version": FILE_VERSION}
    if seed is not None:
        document["seed"] = seed
    document["stubs"] = [stub.to_dict() for stub in stubs]
    return document
