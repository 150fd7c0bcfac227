"""What the legal service reads, one module per aggregate: the SQL, the filters derived from the
domain's visibility rules (``filters``), and the plain dicts a row becomes."""
