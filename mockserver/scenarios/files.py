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
    "install_scenario_files",
    "install_scenarios",
    "load_payload",
    "load_scenario_file",
    "load_scenario_files",
    "load_scenarios",
    "scenario_paths",
    "stubs_from_entry",
]

FILE_VERSION = 1
FILE_KEYS = ("$schema", "version", "seed", "description", "stubs")
PRESET_KEYS = ("preset", "args", "match", *STUB_OPTIONS)

Source = Union[str, bytes, "os.PathLike[str]", Mapping[str, Any]]
PathName = Union[str, "os.PathLike[str]"]


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
    return _parse_with_paths(data)[0]


def _parse_with_paths(data: Any) -> Tuple[ScenarioFile, List[str]]:
    """The file, and for each of its stubs the path of the ``stubs[]`` element it came from."""
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
    loaded = ScenarioFile(version=version, seed=seed, stubs=[stub for _, stub in built])
    return loaded, [path for path, _ in built]


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
    return _load_with_paths(source, fmt)[0]


def _load_with_paths(source: Source, fmt: str) -> Tuple[ScenarioFile, List[str]]:
    data, name = _read(source, fmt)
    try:
        return _parse_with_paths(data)
    except ScenarioFileError as exc:
        if name is None or exc.source:
            raise
        raise ScenarioFileError(
            path=exc.path, message=exc.message, line=exc.line, column=exc.column, source=name
        ) from None


def scenario_paths(paths: Iterable[PathName]) -> List[str]:
    """The files ``paths`` name: a file as given, a directory as its ``*.json`` files in name order.

    Raises:
        ScenarioFileError: for a directory without ``*.json`` files, or a file named twice
            (also through its directory).
    """
    found: List[str] = []
    first: Dict[str, str] = {}
    for given in paths:
        name = os.fspath(given)
        if os.path.isdir(name):
            inside = sorted(entry for entry in os.listdir(name) if entry.endswith(".json"))
            files = [os.path.join(name, entry) for entry in inside]
            files = [file for file in files if os.path.isfile(file)]
            if not files:
                raise ScenarioFileError(source=name, message="directory holds no *.json scenario file")
        else:
            files = [name]
        for file in files:
            real = os.path.realpath(file)
            if real in first:
                raise ScenarioFileError(
                    source=file,
                    message=f"given more than once (first as {first[real]}); each file is loaded once",
                )
            first[real] = file
            found.append(file)
    return found


def load_scenario_files(
    paths: Iterable[PathName],
    fmt: str = "json",
    *,
    engine: Optional[ScenarioEngine] = None,
) -> ScenarioFile:
    """Read, validate and merge several scenario files (or directories of them, see :func:`scenario_paths`).

    The stubs are kept in the order of the files, then of each file. What the files cannot share
    is a conflict, named with the file and the path in it: a stub ``id`` two files use, a
    ``scenario`` (state machine) two files drive, and two different ``seed`` values. With
    ``engine``, each stub's carrier is checked against it too (``ScenarioEngine.check_carriers``).

    Raises:
        ScenarioFileError: for the first invalid file or conflict; ``source`` is the file.
    """
    files = scenario_paths(paths)
    if not files:
        raise ScenarioFileError(message="no scenario file given")
    ids: Dict[str, str] = {}
    scenarios: Dict[str, str] = {}
    seed: Optional[Tuple[int, str]] = None
    stubs: List[Stub] = []
    for file in files:
        loaded, where = _load_with_paths(file, fmt)
        if loaded.seed is not None:
            if seed is not None and seed[0] != loaded.seed:
                raise ScenarioFileError(
                    source=file,
                    path="seed",
                    message=f"{loaded.seed} conflicts with seed {seed[0]} of {seed[1]} "
                    "(the server has one generator)",
                )
            seed = seed or (loaded.seed, file)
        owners: Dict[str, str] = {}
        for path, stub in zip(where, loaded.stubs):
            if engine is not None:
                _check_carrier(engine, stub, file, path)
            if stub.id in ids:
                raise ScenarioFileError(
                    source=file,
                    path=join_path(path, "id"),
                    message=f"stub id {stub.id!r} is also used by {ids[stub.id]}",
                )
            if stub.scenario is not None and stub.scenario in scenarios:
                raise ScenarioFileError(
                    source=file,
                    path=join_path(path, "scenario"),
                    message=f"scenario {stub.scenario!r} is also driven by {scenarios[stub.scenario]} "
                    "(a scenario's states live in one file)",
                )
            ids[stub.id] = f"{file} {path}"
            if stub.scenario is not None:
                owners.setdefault(stub.scenario, f"{file} {path}")
        scenarios.update(owners)
        stubs.extend(loaded.stubs)
    return ScenarioFile(seed=None if seed is None else seed[0], stubs=stubs)


def _check_carrier(engine: ScenarioEngine, stub: Stub, file: str, path: str) -> None:
    try:
        engine.check_carriers([stub])
    except ScenarioFileError as exc:
        raise ScenarioFileError(source=file, path=join_path(path, exc.path), message=exc.message) from None


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


def install_scenario_files(
    engine: ScenarioEngine, paths: Iterable[PathName], *, fmt: str = "json"
) -> ScenarioFile:
    """Validate and merge every file (:func:`load_scenario_files`), then replace the engine's stubs.

    Raises:
        ScenarioFileError: for an invalid file or a conflict (the engine is untouched).
    """
    loaded = load_scenario_files(paths, fmt, engine=engine)
    engine.install(loaded.stubs, seed=loaded.seed, replace=True)
    return loaded


def dump_stubs(stubs: Iterable[Stub], *, seed: Optional[int] = None) -> Dict[str, Any]:
    """A scenario file document holding ``stubs`` (``load_scenarios`` reads it back)."""
    document: Dict[str, Any] = {"version": FILE_VERSION}
    if seed is not None:
        document["seed"] = seed
    document["stubs"] = [stub.to_dict() for stub in stubs]
    return document
