from services.common.migrations import run_env
from services.notify.tables import metadata

run_env(metadata)
