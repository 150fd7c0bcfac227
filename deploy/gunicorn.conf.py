"""gunicorn settings for the gateway: gthread workers (gunicorn >= 26 has no eventlet worker),
each with a small pool of started RPC proxies sized to its threads."""

import os

bind = f"{os.environ.get('REFNET_HOST', '127.0.0.1')}:{os.environ.get('REFNET_PORT', '8000')}"
worker_class = "gthread"
workers = int(os.environ.get("REFNET_GATEWAY_WORKERS", "2"))
threads = int(os.environ.get("REFNET_GATEWAY_THREADS", "4"))
os.environ.setdefault("REFNET_RPC_POOL_SIZE", str(threads))
timeout = 30
graceful_timeout = 10
keepalive = 5
accesslog = "-"
# method, path, status, duration: references are opaque; no query strings, bodies or headers
access_log_format = '%(t)s gateway %(m)s %(U)s %(s)s %(M)sms'
