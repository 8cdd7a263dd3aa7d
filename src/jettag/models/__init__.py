"""jettag.models: the taggers, their construction and their checkpoints.

Every model has ``forward(tracks (B, L, F_all), valid (B, L), jets (B, J_all)) -> dict`` with
``"logits" (B, 3)`` (classes b, c, light) and, for the transformer with the auxiliary head,
``"track_logits" (B, L, n_origins)``. See docs/architecture.md.

Modules: ``spec`` (architecture settings per type), ``registry`` (the model families and
``build_model``), ``checkpoints`` (save, load, digest), ``wrappers`` (``torch.compile`` / DDP),
one module per model (``deepsets``, ``rnn``, ``transformer``, ``ip3d``) and their ``blocks``.
"""

from jettag.models.checkpoints import (
    CHECKPOINT_FORMAT,
    checkpoint_digest,
    load_checkpoint,
    save_checkpoint,
)
from jettag.models.registry import FAMILIES, Family, build_model
from jettag.models.spec import DeepSetsSpec, IP3DSpec, RNNSpec, TransformerSpec
from jettag.models.wrappers import count_parameters, unwrap

__all__ = [
    "CHECKPOINT_FORMAT",
    "FAMILIES",
    "DeepSetsSpec",
    "Family",
    "IP3DSpec",
    "RNNSpec",
    "TransformerSpec",
    "build_model",
    "checkpoint_digest",
    "count_parameters",
    "load_checkpoint",
    "save_checkpoint",
    "unwrap",
]
