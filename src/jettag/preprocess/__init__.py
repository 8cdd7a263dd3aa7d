"""jettag.preprocess."""
