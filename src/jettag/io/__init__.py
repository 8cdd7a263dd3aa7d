"""jettag.io."""
