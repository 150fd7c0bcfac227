"""The network as real processes, for the end-to-end and fault tests and for the benchmark:
its own broker vhost (``broker``), PostgreSQL databases (``postgres``), processes and port
(``network``), waiting with a deadline (``polling``), and test-only faults (``faults``)."""
