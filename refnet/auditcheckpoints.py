"""The audit checkpoints live in the gateway's database: ``gateway.auditcheckpoints`` (the
administrators' page keeps them there too). Kept under this name for ``refnet audit verify``."""

from gateway.auditcheckpoints import CheckpointStore, audit_checkpoints, metadata  # noqa: F401
