"""jettag.generate."""
