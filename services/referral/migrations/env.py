from services.common.migrations import run_env
from services.referral.tables import metadata

run_env(metadata)
