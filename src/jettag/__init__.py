"""jettag: build, debug and study track-based jet flavour taggers."""

__version__ = "0.1.0"
