"""jettag.plotting."""
