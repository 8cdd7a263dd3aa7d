"""jettag.evaluation: scores, the discriminant, working points and the performance table.

Modules: ``discriminant`` (``discriminant_b``), ``working_points`` (cuts, efficiencies,
rejections, AUC, ROC), ``scores`` (``evaluate_checkpoint``, ``read_scores``), ``performance``
(``write_performance_table``, ``performance_rows``). torch is imported only when scoring.
"""

from jettag.evaluation.discriminant import discriminant_b

__all__ = ["discriminant_b"]
