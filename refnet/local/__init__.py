"""The network on one machine: its secrets file (``secrets``), the broker check (``broker``),
databases and broker topology made ready (``prepare``), and the process runner (``runner``:
honcho over deploy/Procfile, in its own session, in the background)."""
