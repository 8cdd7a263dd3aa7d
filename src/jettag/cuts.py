"""One cut language for jets, tracks and constituents.

A :class:`Cut` is ``variable operator value``, parsed from strings such as ``"pt > 0.5"``,
``"abs_d0 < 3.5"`` or ``"label in [0, 4, 5]"``; operators ``== != < <= > >= in``. A variable is

* a field of the data the cut is applied to (a dict of arrays or an awkward record array);
* a derived variable of :data:`DERIVED` (e.g. ``silicon_hits`` = pixel + SCT hits);
* ``abs_X``: the absolute value of the variable ``X`` (itself a field or a derived variable).

:class:`Cuts` is an ordered tuple of cuts: ``cuts(data)`` is the boolean mask of the entries
passing all of them, ``cuts.cutflow(data)`` also counts how many pass after each cut (consecutive
cuts with the same name, e.g. ``pt >= 20`` and ``pt < 1000``, form one step). Masks are numpy arrays for
numpy inputs and (jagged) awkward arrays for awkward inputs.

:data:`PRESETS` holds named cut lists; their ``{key}`` placeholders are filled from a config
section (``preprocess.tracks``), so ``r22default`` follows the threshold keys.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import reduce

import awkward as ak
import numpy as np

from jettag.errors import JettagError


def _isin(x, values):
    if isinstance(x, np.ndarray):
        return np.isin(x, values)
    return reduce(np.logical_or, (x == v for v in values))


#: Operator -> vectorised comparison (numpy arrays and awkward arrays alike).
OPERATORS: dict[str, Callable] = {
    "==": np.equal,
    "!=": np.not_equal,
    "<": np.less,
    "<=": np.less_equal,
    ">": np.greater,
    ">=": np.greater_equal,
    "in": _isin,
}

#: Derived variables: name -> function of the data (a mapping of canonical track names).
DERIVED: dict[str, Callable] = {
    "silicon_hits": lambda t: t["numberOfPixelHits"] + t["numberOfSCTHits"],
    "silicon_holes": lambda t: t["numberOfPixelHoles"] + t["numberOfSCTHoles"],
    "pixel_holes": lambda t: t["numberOfPixelHoles"],
    "shared_modules": lambda t: t["numberOfPixelSharedHits"] + t["numberOfSCTSharedHits"] / 2.0,
}

#: Named cut lists; ``{key}`` is filled from the config section the preset is used in.
PRESETS: dict[str, tuple[str, ...]] = {
    # ATLAS r22default track selection; thresholds from the preprocess.tracks keys
    "r22default": (
        "pt > {pt_min}",
        "abs_eta < {abs_eta_max}",
        "abs_d0 < {abs_d0_max}",
        "abs_z0SinTheta < {abs_z0SinTheta_max}",
        "silicon_hits >= {min_silicon_hits}",
        "silicon_holes <= {max_silicon_holes}",
        "pixel_holes <= {max_pixel_holes}",
        "shared_modules <= {max_shared_modules}",
    ),
}

_CUT = re.compile(r"^\s*(?P<var>[A-Za-z_][\w.]*)\s*(?P<op>==|!=|<=|>=|<|>|\bin\b)\s*(?P<value>.+?)\s*$")


def _number(text: str):
    text = text.strip()
    try:
        return int(text)
    except ValueError:
        return float(text)


def _fields(data) -> Iterable[str]:
    return ak.fields(data) if isinstance(data, ak.Array) else data.keys()


def _size(x) -> int:
    return int(np.count_nonzero(x)) if isinstance(x, np.ndarray) else int(ak.count_nonzero(x, axis=None))


@dataclass(frozen=True)
class Cut:
    """``variable operator value``; ``name`` labels its cut-flow step (default: the variable)."""

    variable: str
    operator: str
    value: float | int | tuple
    name: str | None = None

    def __post_init__(self):
        if self.operator not in OPERATORS:
            raise JettagError(f"cut {self}: unknown operator {self.operator!r}; known: {', '.join(OPERATORS)}")

    @classmethod
    def parse(cls, text: str, key: str = "cut", name: str | None = None) -> Cut:
        """A cut from ``"variable operator value"``; ``key`` names the config key in errors."""
        m = _CUT.match(text) if isinstance(text, str) else None
        try:
            if m is None:
                raise ValueError
            op, raw = m["op"], m["value"]
            if op == "in":
                if not (raw.startswith("[") and raw.endswith("]")):
                    raise ValueError
                value = tuple(_number(v) for v in raw[1:-1].split(",") if v.strip())
            else:
                value = _number(raw)
        except ValueError:
            raise JettagError(
                f"{key}: cannot read the cut {text!r}; write 'variable op value' with op one of "
                f"{', '.join(OPERATORS)} and a number as value (a list [a, b] for 'in'), e.g. "
                "'pt > 0.5', 'abs_d0 < 3.5', 'label in [0, 4, 5]'"
            ) from None
        return cls(m["var"], op, value, name)

    @property
    def label(self) -> str:
        return self.name or self.variable

    def __str__(self) -> str:
        value = f"[{', '.join(map(str, self.value))}]" if self.operator == "in" else self.value
        return f"{self.variable} {self.operator} {value}"

    def __call__(self, data, key: str = "cut"):
        """Boolean mask of the entries of ``data`` passing this cut."""
        return OPERATORS[self.operator](variable(data, self.variable, key), self.value)


def variable(data, name: str, key: str = "cut"):
    """The values of variable ``name`` in ``data`` (a field, a derived or an ``abs_`` variable)."""
    fields = _fields(data)
    if name in fields:
        return data[name]
    if name in DERIVED:
        try:
            return DERIVED[name](data)
        except (KeyError, ValueError) as exc:
            raise JettagError(f"{key}: derived variable '{name}' needs a missing field ({exc})") from None
    if name.startswith("abs_") and len(name) > 4:
        return np.abs(variable(data, name[4:], key))
    raise JettagError(
        f"{key}: unknown variable '{name}'; known: {', '.join(fields)}, the derived variables "
        f"{', '.join(DERIVED)}, and abs_X for any of them"
    )


@dataclass(frozen=True)
class Cuts:
    """An ordered tuple of cuts, applied together (logical AND); ``key`` names them in errors."""

    cuts: tuple[Cut, ...] = ()
    key: str = "cuts"

    @classmethod
    def from_list(cls, items: Iterable[str | Cut], key: str = "cuts", params: Mapping | None = None) -> Cuts:
        """Cuts from strings (or Cut objects); a string naming a preset of :data:`PRESETS` stands
        for its cuts, with ``{placeholders}`` filled from ``params``."""
        if isinstance(items, str):
            items = [items]
        out: list[Cut] = []
        for i, item in enumerate(items):
            if isinstance(item, Cut):
                out.append(item)
            elif isinstance(item, str) and item.strip() in PRESETS:
                out.extend(_preset(item.strip(), key, params or {}))
            else:
                out.append(Cut.parse(item, f"{key}[{i}]"))
        return cls(tuple(out), key)

    def __iter__(self) -> Iterator[Cut]:
        return iter(self.cuts)

    def __len__(self) -> int:
        return len(self.cuts)

    def __add__(self, other: Cuts) -> Cuts:
        return Cuts(self.cuts + tuple(other), self.key)

    def steps(self) -> list[str]:
        """The cut-flow step of each cut: its label; consecutive cuts with the same label share
        a step; a label already used by an earlier step gives the cut's text instead."""
        out: list[str] = []
        for cut in self.cuts:
            step = cut.label
            if out and step == self.cuts[len(out) - 1].label:
                step = out[-1]
            elif step in out:
                step = str(cut)
            out.append(step)
        return out

    @property
    def names(self) -> tuple[str, ...]:
        """Cut-flow step names, in order."""
        return tuple(dict.fromkeys(self.steps()))

    @property
    def variables(self) -> set[str]:
        return {c.variable for c in self.cuts}

    def __call__(self, data, keep=None):
        """Boolean mask of the entries passing every cut (and ``keep``, when given)."""
        return self.cutflow(data, keep, count=False)[0]

    def cutflow(self, data, keep=None, count: bool = True) -> tuple[object, dict[str, int]]:
        """``(mask, {name: passing after this step})``; starting from ``keep`` when given.

        With no cuts and no ``keep``, the mask is all true (shaped like the first field).
        """
        counts: dict[str, int] = {}
        for cut, step in zip(self.cuts, self.steps(), strict=True):
            mask = cut(data, self.key)
            keep = mask if keep is None else keep & mask
            if count:
                counts[step] = _size(keep)
        if keep is None:
            first = data[next(iter(_fields(data)))]
            keep = np.ones(len(first), dtype=bool) if isinstance(first, np.ndarray) else ak.ones_like(first, dtype=bool)
        return keep, counts


def _preset(name: str, key: str, params: Mapping) -> list[Cut]:
    cuts = []
    for text in PRESETS[name]:
        try:
            filled = text.format_map(params)
        except KeyError as exc:
            raise JettagError(f"{key}: preset '{name}' needs the key {exc} next to it") from None
        cuts.append(Cut.parse(filled, f"{key} (preset {name})"))
    return cuts
