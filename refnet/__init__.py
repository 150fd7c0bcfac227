"""refnet's own tooling, apart from the network it runs: the ``refnet`` command (``cli``), the
local process runner (``local``), the invented demo data (``demo``) and the harness that starts
the network as real processes for the tests and the benchmark (``harness``)."""
