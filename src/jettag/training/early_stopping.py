"""Early stopping on the validation loss; its state is saved in ``last.pt`` for resuming."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass


@dataclass
class EarlyStopping:
    """Stop when the validation loss has not improved by ``min_delta`` for ``patience`` epochs."""

    patience: int = 5
    min_delta: float = 0.0
    enabled: bool = True
    best: float = math.inf
    best_epoch: int = 0
    bad_epochs: int = 0
    stopped_epoch: int = 0

    @classmethod
    def from_options(cls, opts: dict) -> EarlyStopping:
        """From the ``training.early_stopping`` options."""
        return cls(int(opts["patience"]), float(opts["min_delta"]), bool(opts["enabled"]))

    def update(self, epoch: int, val_loss: float) -> bool:
        """Record ``val_loss`` of ``epoch`` (1-based); True if it is a new best."""
        improved = math.isfinite(val_loss) and val_loss < self.best - self.min_delta
        if improved:
            self.best, self.best_epoch, self.bad_epochs = float(val_loss), int(epoch), 0
        else:
            self.bad_epochs += 1
            if self.enabled and self.bad_epochs >= self.patience:
                self.stopped_epoch = int(epoch)
        return improved

    @property
    def should_stop(self) -> bool:
        return self.stopped_epoch > 0

    def state_dict(self) -> dict:
        return asdict(self)

    def load_state_dict(self, state: dict) -> None:
        for key, value in state.items():
            setattr(self, key, value)
