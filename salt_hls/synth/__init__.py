"""Vendor synthesis runs, report parsing, the device table and latency/resource budgets.

Nothing here runs at import time; `commands.py` holds the click commands the CLI attaches.
"""
