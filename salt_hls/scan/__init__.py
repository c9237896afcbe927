"""Design-space scan: trials over model and firmware choices, run as Dask tasks, with a results table.

spec (the scan file, validated without TensorFlow or Dask), trial (one trial, run in a worker),
cluster (where the workers come from), runner (submission, resume, progress), results (table,
Pareto fronts, plots, export of the best model).
"""
