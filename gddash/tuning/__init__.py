"""Tune and understand: curvature, theory, sweeps and the learning-rate range test.

Pure computations behind the "Tune and understand" page, testable without
Streamlit. One module per job:

* ``curvature``: the Hessian's eigenvalues at θ*, κ, and the rates they imply;
* ``theory``: what theory predicts for a run's loss curve (exact or labelled
  approximations);
* ``sweep``: learning rates × batch sizes × update rules, each cell one run;
* ``tuned``: every variant and rule at its best rate from a sweep, raced;
* ``range_test``: Smith's learning-rate range test (fastai's ``lr_find``).
"""
