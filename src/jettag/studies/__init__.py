"""jettag.studies."""
