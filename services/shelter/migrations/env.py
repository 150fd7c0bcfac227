from services.common.migrations import run_env
from services.shelter.tables import metadata

run_env(metadata)
