"""Latency, throughput and resource budgets, the device table, and checking a report against a
budget."""
