"""The shelter's SQL, one module per aggregate: the statements the use cases run and the shapes
of the rows they read. Where a statement enforces a rule (a guarded UPDATE, a filter by state),
it is built from the domain's own definition of that rule, so the two cannot drift apart."""
