from services.common.migrations import run_env
from services.legal.tables import metadata

run_env(metadata)
