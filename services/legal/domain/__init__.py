"""The legal service's rules: plain Python, no I/O, no framework."""
