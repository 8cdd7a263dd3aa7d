"""jettag.training."""
