"""The report's summary page: performance table, ROC figure and one headline per study."""

from jettag.report.summary import write_summary

__all__ = ["write_summary"]
