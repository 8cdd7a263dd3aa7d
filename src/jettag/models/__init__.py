"""jettag.models."""
