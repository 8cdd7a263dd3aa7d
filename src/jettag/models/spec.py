"""Architecture settings per model type, as frozen dataclasses with ``from_spec(spec)``.

A model spec (``jettag.config.model_spec``) holds keys common to every model (``type``,
``name``, ``fc``, ``track_features``, ``jet_features``, ``drop_features``, ``training`` and any
other key the schema's ``$defs/model`` defines that is not architecture) plus the architecture keys
of its type, listed by the dataclass fields below. An architecture key of another type, or a key
nobody knows, is a JettagError naming the key. The types are those of the family table
``jettag.models.registry.FAMILIES``.

``set_width`` / ``set_depth`` edit a spec in place for capacity scans (``width_overrides`` /
``depth_overrides`` of each dataclass; a type without them refuses).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, ClassVar

from jettag.errors import JettagError
from jettag.features import DEFAULT_JET_INPUTS, DEFAULT_TRACK_INPUTS, resolve_track_features

BASE_KEYS = frozenset(
    {"type", "name", "fc", "track_features", "jet_features", "drop_features", "training"}
)


def _tuple_int(v) -> tuple[int, ...]:
    return tuple(int(x) for x in v)


def _tuple_float(v) -> tuple[float, ...]:
    return tuple(float(x) for x in v)


def _convert(default, value):
    """Convert a config value to the type of the default, refusing lossy conversions."""
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise TypeError
        return value
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError
        return value
    if isinstance(default, float):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError
        return float(value)
    if isinstance(default, str):
        if not isinstance(value, str):
            raise TypeError
        return value
    raise TypeError


@dataclass(frozen=True)
class SpecBase:
    TYPE: ClassVar[str] = ""
    _converters: ClassVar[dict] = {}

    @classmethod
    def from_spec(cls, spec: dict) -> SpecBase:
        name = spec.get("name", spec.get("type", cls.TYPE))
        fields = {f.name: f for f in dataclasses.fields(cls)}
        known_elsewhere = all_arch_keys() - set(fields)
        common = BASE_KEYS | (_schema_model_keys() - all_arch_keys())
        kwargs: dict[str, Any] = {}
        for key, value in spec.items():
            if key in fields:
                conv = cls._converters.get(key)
                try:
                    kwargs[key] = conv(value) if conv else _convert(fields[key].default, value)
                except (TypeError, ValueError):
                    raise JettagError(
                        f"model '{name}': {key}: {value!r} is not a valid value (default {fields[key].default!r})"
                    ) from None
            elif key in known_elsewhere:
                raise JettagError(
                    f"model '{name}': key '{key}' does not apply to type '{cls.TYPE}'; "
                    f"its architecture keys are {sorted(fields)}"
                )
            elif key not in common:
                raise JettagError(
                    f"model '{name}': unknown key '{key}' for type '{cls.TYPE}'; "
                    f"architecture keys: {sorted(fields)}, common keys: {sorted(common)}"
                )
        out = cls(**kwargs)
        out.validate(name)
        return out

    @classmethod
    def current(cls, spec: dict) -> SpecBase:
        """The architecture values ``spec`` sets (defaults for the others), taken as they are:
        neither converted nor validated (what a spec edit starts from)."""
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in spec.items() if k in names})

    def validate(self, name: str) -> None:
        pass

    def width_overrides(self, width: int, name: str) -> dict:
        """The spec keys that give every hidden layer ``width`` units (capacity scan)."""
        raise JettagError(f"model '{name}' of type '{self.TYPE}' has no width to scan")

    def depth_overrides(self, depth: int, name: str) -> dict:
        """The spec keys that give the model ``depth`` hidden layers (capacity scan)."""
        raise JettagError(f"model '{name}' of type '{self.TYPE}' has no depth to scan")


@dataclass(frozen=True)
class ArchSpec(SpecBase):
    """Settings shared by the neural taggers."""

    activation: str = "relu"
    dropout: float = 0.0
    norm: str = "none"
    residual: bool = False
    condition_on_jet: bool = False

    @property
    def dense(self) -> dict:
        """The keyword arguments of every DenseBlock of the model."""
        return {"activation": self.activation, "dropout": self.dropout, "norm": self.norm,
                "residual": self.residual}

    def validate(self, name: str) -> None:
        from jettag.models.blocks import ACTIVATIONS, NORMS

        if self.activation not in ACTIVATIONS:
            raise JettagError(
                f"model '{name}': activation '{self.activation}' not in {sorted(ACTIVATIONS)}"
            )
        if self.norm not in NORMS:
            raise JettagError(f"model '{name}': norm '{self.norm}' not in {list(NORMS)}")
        if not 0.0 <= self.dropout < 1.0:
            raise JettagError(f"model '{name}': dropout {self.dropout} must be in [0, 1)")
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if isinstance(v, tuple) and f.name.endswith("layers") and any(w < 1 for w in v):
                raise JettagError(
                    f"model '{name}': {f.name} widths must be positive, got {list(v)}"
                )


@dataclass(frozen=True)
class DeepSetsSpec(ArchSpec):
    """DIPS-like: phi per track, masked sum (or mean) pooling, F, 3 logits."""

    TYPE: ClassVar[str] = "deepsets"
    phi_layers: tuple[int, ...] = (100, 100, 128)
    f_layers: tuple[int, ...] = (100, 100, 100, 30)
    pooling: str = "sum"
    _converters: ClassVar[dict] = {"phi_layers": _tuple_int, "f_layers": _tuple_int}

    def validate(self, name: str) -> None:
        super().validate(name)
        if self.pooling not in ("sum", "mean"):
            raise JettagError(f"model '{name}': pooling '{self.pooling}' must be sum or mean")
        if not self.phi_layers or not self.f_layers:
            raise JettagError(f"model '{name}': phi_layers and f_layers need at least one width")

    def width_overrides(self, width: int, name: str) -> dict:
        return {"phi_layers": [width] * len(self.phi_layers), "f_layers": [width] * len(self.f_layers)}

    def depth_overrides(self, depth: int, name: str) -> dict:
        """``depth`` layers of phi and of F, each as wide as the widest one now."""
        return {
            "phi_layers": [max(self.phi_layers)] * depth,
            "f_layers": [max(self.f_layers)] * depth,
        }


@dataclass(frozen=True)
class RNNSpec(ArchSpec):
    """RNNIP-like: LSTM/GRU over tracks in sd0 order, last hidden state, dense head."""

    TYPE: ClassVar[str] = "rnn"
    cell: str = "lstm"
    hidden: int = 100
    num_layers: int = 1
    head_layers: tuple[int, ...] = (50, 20)
    _converters: ClassVar[dict] = {"head_layers": _tuple_int}

    def validate(self, name: str) -> None:
        super().validate(name)
        if self.cell not in ("lstm", "gru"):
            raise JettagError(f"model '{name}': cell '{self.cell}' must be lstm or gru")
        if self.hidden < 1 or self.num_layers < 1:
            raise JettagError(f"model '{name}': hidden and num_layers must be >= 1")

    def width_overrides(self, width: int, name: str) -> dict:
        return {"hidden": width, "head_layers": [width] * len(self.head_layers)}

    def depth_overrides(self, depth: int, name: str) -> dict:
        return {"num_layers": depth}


@dataclass(frozen=True)
class TransformerSpec(ArchSpec):
    """GN2-like: track initialiser, transformer encoder, attention pooling, jet and track heads."""

    TYPE: ClassVar[str] = "transformer"
    activation: str = "silu"
    condition_on_jet: bool = True
    init_layers: tuple[int, ...] = (64,)
    embed_dim: int = 64
    num_layers: int = 3
    num_heads: int = 4
    ff_dim: int = 128
    attn_dropout: float = 0.0
    pool_heads: int = 1
    head_layers: tuple[int, ...] = (64, 32)
    aux_head: bool = True
    aux_layers: tuple[int, ...] = (32,)
    _converters: ClassVar[dict] = {
        "init_layers": _tuple_int,
        "head_layers": _tuple_int,
        "aux_layers": _tuple_int,
    }

    def validate(self, name: str) -> None:
        super().validate(name)
        if self.embed_dim % self.num_heads:
            raise JettagError(
                f"model '{name}': embed_dim {self.embed_dim} must divide by num_heads {self.num_heads}"
            )
        if self.embed_dim % self.pool_heads:
            raise JettagError(
                f"model '{name}': embed_dim {self.embed_dim} must divide by pool_heads {self.pool_heads}"
            )
        if self.num_layers < 0 or self.ff_dim < 1:
            raise JettagError(f"model '{name}': num_layers must be >= 0 and ff_dim >= 1")

    def width_overrides(self, width: int, name: str) -> dict:
        """``embed_dim = width``, ``ff_dim = 2 * width`` and every dense layer ``width`` wide."""
        if width % self.num_heads or width % self.pool_heads:
            raise JettagError(
                f"model '{name}': width {width} must divide by num_heads {self.num_heads} and pool_heads"
            )
        return {
            "embed_dim": width,
            "ff_dim": 2 * width,
            "init_layers": [width] * len(self.init_layers),
            "head_layers": [width] * len(self.head_layers),
        }

    def depth_overrides(self, depth: int, name: str) -> dict:
        return {"num_layers": depth}


DEFAULT_SD0_EDGES = (
    -20,
    -10,
    -6,
    -4,
    -3,
    -2,
    -1.5,
    -1,
    -0.5,
    0,
    0.5,
    1,
    1.5,
    2,
    3,
    4,
    6,
    8,
    10,
    15,
    20,
    30,
    50,
)
DEFAULT_SZ0_EDGES = (-30, -10, -5, -3, -2, -1, -0.5, 0, 0.5, 1, 2, 3, 5, 10, 30)


@dataclass(frozen=True)
class IP3DSpec(SpecBase):
    """IP3D-like likelihood templates of (sd0, sz0) per flavour."""

    TYPE: ClassVar[str] = "ip3d"
    sd0_edges: tuple[float, ...] = DEFAULT_SD0_EDGES
    sz0_edges: tuple[float, ...] = DEFAULT_SZ0_EDGES
    pseudocount: float = 1e-3
    floor: float = 1e-6
    weighted: bool = False
    chunk_size: int = 50000
    _converters: ClassVar[dict] = {"sd0_edges": _tuple_float, "sz0_edges": _tuple_float}

    def validate(self, name: str) -> None:
        for key in ("sd0_edges", "sz0_edges"):
            e = getattr(self, key)
            if len(e) < 2 or any(b <= a for a, b in zip(e, e[1:], strict=False)):
                raise JettagError(
                    f"model '{name}': {key} must be at least 2 strictly increasing numbers"
                )
        if self.pseudocount < 0 or self.floor <= 0 or self.chunk_size < 1:
            raise JettagError(f"model '{name}': need pseudocount >= 0, floor > 0, chunk_size >= 1")


def _specs() -> dict[str, type[SpecBase]]:
    """type -> spec dataclass, from the family table ``jettag.models.registry.FAMILIES``."""
    from jettag.models.registry import specs

    return specs()


def __getattr__(name: str):
    if name == "SPECS":  # ``jettag.models.spec.SPECS``: the registry's table
        return _specs()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def all_arch_keys() -> set[str]:
    keys: set[str] = set()
    for cls in _specs().values():
        keys |= {f.name for f in dataclasses.fields(cls)}
    return keys


_SCHEMA_KEYS: frozenset[str] | None = None


def _schema_model_keys() -> frozenset[str]:
    """Keys the config schema defines for a model (other engineers may add common keys there)."""
    global _SCHEMA_KEYS
    if _SCHEMA_KEYS is None:
        try:
            from jettag.config import schema

            _SCHEMA_KEYS = frozenset(schema()["$defs"]["model"].get("properties", {}))
        except Exception:  # pragma: no cover - schema unreadable: only the base keys
            _SCHEMA_KEYS = frozenset()
    return _SCHEMA_KEYS


def arch_from_spec(spec: dict) -> SpecBase:
    kind = spec.get("type")
    specs = _specs()
    if kind not in specs:
        raise JettagError(
            f"model '{spec.get('name', '?')}': unknown type {kind!r}; choose one of {sorted(specs)}"
        )
    return specs[kind].from_spec(spec)


def track_inputs(spec: dict) -> tuple[str, ...]:
    return resolve_track_features(
        spec.get("track_features", DEFAULT_TRACK_INPUTS), spec.get("drop_features", [])
    )


def jet_inputs(spec: dict) -> tuple[str, ...]:
    return tuple(spec.get("jet_features", DEFAULT_JET_INPUTS))


def _scannable(spec: dict, what: str) -> SpecBase:
    kind = spec["type"]
    specs = _specs()
    if kind not in specs:
        raise JettagError(f"model '{spec.get('name', '?')}' of type '{kind}' has no {what} to scan")
    return specs[kind].current(spec)


def set_width(spec: dict, width: int) -> None:
    """Set the hidden width of every layer of the model, in place (type-specific keys)."""
    name = spec.get("name", "?")
    if width < 1:
        raise JettagError(f"model '{name}': width {width} must be at least 1")
    spec.update(_scannable(spec, "width").width_overrides(width, name))


def set_depth(spec: dict, depth: int) -> None:
    """Set the number of hidden layers, in place (deepsets: of phi and of F; rnn/transformer:
    ``num_layers``)."""
    name = spec.get("name", "?")
    if depth < 1:
        raise JettagError(f"model '{name}': depth {depth} must be at least 1")
    spec.update(_scannable(spec, "depth").depth_overrides(depth, name))
