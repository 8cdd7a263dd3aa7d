"""jettag.evaluation."""
