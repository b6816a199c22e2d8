"""Judging results: quality measures, and the fast model against the optimisation.

* :mod:`~tf_style.evaluation.metrics`: the tutorial's loss terms as distances
  (``QualityMeasures``, ``score_image``), the same for every method;
* :mod:`~tf_style.evaluation.comparison`: ``run_comparison`` runs both methods on one
  pair, times and scores them;
* :mod:`~tf_style.evaluation.report`: its figure, JSON and Markdown table.

Submodules are imported where used: :mod:`~tf_style.evaluation.metrics` needs only
VGG19, the comparison also the fast model.
"""
