"""Integration tests (see conftest.py). Imported just before conftest.py: eventlet's import-time
deprecation notice is silenced here, so the first statement of conftest.py can stay the
monkey patch."""

import warnings

warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
