"""The network on one machine: its secrets file (``secrets``), the broker check (``broker``),
databases and broker topology made ready (``prepare``), the supervisor of every deploy/Procfile
process (``supervisor``) and the runner that starts it in the background (``runner``)."""
