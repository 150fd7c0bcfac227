"""refnet benchmark: ``python -m bench`` (see bench/README.md)."""

# Every network the benchmark starts runs with the per-user rate limit out of the way: its load
# comes from a handful of users, and the figures must time the work, not 429 answers.
RATE_LIMIT_OFF = {"REFNET_RATE_LIMIT_PER_MINUTE": "100000000"}
