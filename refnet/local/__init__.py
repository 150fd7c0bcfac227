"""The network on one machine: its secrets file, the broker check, and the process runner
(honcho over deploy/Procfile, in its own session, in the background)."""
