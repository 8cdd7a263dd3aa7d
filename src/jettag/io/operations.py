"""A small, safe vocabulary of operations that define a canonical variable from branches.

Definitions are data (YAML), never evaluated as code. A definition is

* a string: the branch of that name;
* a number: a constant;
* a mapping with exactly one operation key, optionally with the modifiers ``scale`` (a number
  the result is multiplied by) and ``unit`` (the unit the result is in; converted to jettag's
  GeV and mm).

Operations (arguments are definitions themselves, so they nest)::

    {branch: NAME}                       the branch NAME
    {constant: VALUE}                    a number, broadcast to the jets or tracks
    {abs: D} {neg: D} {sqrt: D} {sign: D} {cosh: D} {exp: D}
    {sin_theta_from_eta: D}              sin(theta) = 1 / cosh(eta)
    {add: [D, D, ...]}  {multiply: [D, D, ...]}
    {subtract: [D, D]}  {divide: [D, D]}
    {entry_number: true}                 the entry number in the tree (event-wise: per event)

Examples: ``{branch: jet_pt, unit: MeV}``, ``{branch: d0, scale: 10}`` (cm -> mm),
``{divide: [dz, {cosh: eta}], unit: cm}`` (z0 sin(theta) from dz),
``{divide: [d0, d0sig]}`` (sigma(d0) from d0 and its significance).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from jettag.errors import JettagError

#: Factor converting a value in the given unit to jettag's units (GeV, mm, rad).
UNITS: dict[str, float] = {
    "eV": 1.0e-9,
    "keV": 1.0e-6,
    "MeV": 1.0e-3,
    "GeV": 1.0,
    "TeV": 1.0e3,
    "um": 1.0e-3,
    "mm": 1.0,
    "cm": 10.0,
    "m": 1.0e3,
    "rad": 1.0,
    "mrad": 1.0e-3,
}

UNARY: dict[str, Callable] = {
    "abs": np.abs,
    "neg": np.negative,
    "sqrt": np.sqrt,
    "sign": np.sign,
    "cosh": np.cosh,
    "exp": np.exp,
    "sin_theta_from_eta": lambda x: 1.0 / np.cosh(x),
}
NARY: dict[str, Callable] = {
    "add": lambda args: _reduce(np.add, args),
    "multiply": lambda args: _reduce(np.multiply, args),
}
BINARY: dict[str, Callable] = {
    "subtract": np.subtract,
    "divide": np.divide,
}
LEAVES = ("branch", "constant", "entry_number")
MODIFIERS = ("scale", "unit")
OPERATIONS: tuple[str, ...] = (*LEAVES, *UNARY, *NARY, *BINARY)


def _reduce(func, args):
    out = args[0]
    for a in args[1:]:
        out = func(out, a)
    return out


def _is_number(x) -> bool:
    return isinstance(x, int | float | np.integer | np.floating) and not isinstance(x, bool)


def validate(definition, key: str) -> None:
    """Raise JettagError naming ``key`` (e.g. ``input.tracks.d0``) if ``definition`` is invalid."""
    if isinstance(definition, str):
        if not definition:
            raise JettagError(f"{key}: empty branch name")
        return
    if _is_number(definition):
        return
    if not isinstance(definition, dict):
        raise JettagError(
            f"{key}: expected a branch name, a number or an operation mapping, "
            f"got {type(definition).__name__} {definition!r}"
        )
    ops = [k for k in definition if k not in MODIFIERS]
    unknown = [k for k in ops if k not in OPERATIONS]
    if unknown:
        raise JettagError(
            f"{key}: unknown operation '{unknown[0]}'; known operations: {', '.join(OPERATIONS)} "
            f"(modifiers: {', '.join(MODIFIERS)})"
        )
    if len(ops) != 1:
        raise JettagError(
            f"{key}: a definition needs exactly one operation, got {ops or 'none'} in {definition!r}"
        )
    op = ops[0]
    arg = definition[op]
    if "scale" in definition and not _is_number(definition["scale"]):
        raise JettagError(f"{key}: scale must be a number, got {definition['scale']!r}")
    if "unit" in definition and definition["unit"] not in UNITS:
        raise JettagError(
            f"{key}: unknown unit {definition['unit']!r}; known units: {', '.join(UNITS)}"
        )
    if op == "branch":
        if not isinstance(arg, str) or not arg:
            raise JettagError(f"{key}: branch must be a branch name (string), got {arg!r}")
    elif op == "constant":
        if not _is_number(arg):
            raise JettagError(f"{key}: constant must be a number, got {arg!r}")
    elif op == "entry_number":
        if arg is not True:
            raise JettagError(f"{key}: write entry_number: true")
    elif op in UNARY:
        validate(arg, f"{key}.{op}")
    else:
        n = 2 if op in BINARY else None
        if not isinstance(arg, list) or len(arg) < 2 or (n is not None and len(arg) != n):
            need = "exactly 2" if n else "at least 2"
            raise JettagError(f"{key}: {op} takes a list of {need} definitions, got {arg!r}")
        for i, a in enumerate(arg):
            validate(a, f"{key}.{op}[{i}]")


def branches(definition) -> list[str]:
    """The branch names a (valid) definition reads, in order of first use."""
    out: list[str] = []

    def walk(d):
        if isinstance(d, str):
            if d not in out:
                out.append(d)
        elif isinstance(d, dict):
            for k, v in d.items():
                if k == "branch":
                    walk(v)
                elif k in UNARY:
                    walk(v)
                elif k in NARY or k in BINARY:
                    for a in v:
                        walk(a)

    walk(definition)
    return out


def uses_entry_number(definition) -> bool:
    if isinstance(definition, dict):
        if "entry_number" in definition:
            return True
        return any(
            uses_entry_number(v) if not isinstance(v, list) else any(map(uses_entry_number, v))
            for k, v in definition.items()
            if k not in MODIFIERS
        )
    return False


def is_constant(definition) -> bool:
    """True if the definition reads no branch and no entry number (a plain number)."""
    return not branches(definition) and not uses_entry_number(definition)


def evaluate(definition, arrays: dict, entry_number=None):
    """Evaluate a validated definition.

    ``arrays`` maps branch name -> array (awkward or numpy); ``entry_number`` is the array of
    entry numbers of the chunk (needed by ``entry_number: true``). Constants stay Python
    numbers: the caller broadcasts them. Division by zero gives inf/nan, like numpy.
    """
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return _evaluate(definition, arrays, entry_number)


def _evaluate(d, arrays, entry_number):
    if isinstance(d, str):
        return arrays[d]
    if _is_number(d):
        return d
    op = next(k for k in d if k not in MODIFIERS)
    arg = d[op]
    if op == "branch":
        value = arrays[arg]
    elif op == "constant":
        value = arg
    elif op == "entry_number":
        value = entry_number
    elif op in UNARY:
        value = UNARY[op](_evaluate(arg, arrays, entry_number))
    elif op in NARY:
        value = NARY[op]([_evaluate(a, arrays, entry_number) for a in arg])
    else:
        value = BINARY[op](*(_evaluate(a, arrays, entry_number) for a in arg))
    factor = float(d.get("scale", 1.0)) * (UNITS[d["unit"]] if "unit" in d else 1.0)
    if factor != 1.0:
        value = value * factor
    return value


def describe(definition) -> str:
    """A short one-line text of a definition for messages."""
    if isinstance(definition, str):
        return definition
    if isinstance(definition, dict) and set(definition) == {"branch"}:
        return definition["branch"]
    return repr(definition)


__all__ = [
    "OPERATIONS",
    "UNITS",
    "branches",
    "describe",
    "evaluate",
    "is_constant",
    "uses_entry_number",
    "validate",
]
