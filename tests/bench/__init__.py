"""`make bench`: requests, wall time and peak memory at newsletter and archive scale.

Runs the real `curate` command as a subprocess against the loopback replay server (with
a fixed latency per request), so the figures are what a user gets. Nothing here is
asserted as a time: tests/test_bench.py only checks the harness counts requests right.
"""
