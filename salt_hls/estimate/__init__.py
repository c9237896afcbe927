"""Resource and latency estimate of a converted project without vendor tools: read the emitted
project (project.py), cost each layer (cost.py), schedule the pipeline (schedule.py), and write
the result in the report schema (estimator.py)."""
