#!/bin/sh
# What refnet needs from the machine that is not a Python package, per make target. The
# Makefile runs it before each target that needs something (before .venv exists, hence plain
# POSIX sh with no tool but `id`, `apt-get` and Python); .ci/run runs it with `system`.
#
#   sh deploy/system-deps.sh TARGET
#   TARGET: up test test-unit test-deploy test-integration test-e2e test-security test-browser
#           test-faults bench, or system (every package, servers included; what CI installs)
#
# As root with apt-get (Debian): installs the missing Debian packages first. Then, or as
# anyone else: names each tool still missing and the command that installs it, and exits 1.
# Last, for the targets that use them: RabbitMQ (make up: AMQP_URI as `refnet up` reads it;
# tests: REFNET_TEST_AMQP_URI) and PostgreSQL (REFNET_TEST_POSTGRES_URL) must answer; one line
# each when not. PYTHON is the interpreter the Makefile makes .venv with (python3.11).

PYTHON=${PYTHON:-python3.11}
CHROMIUM=${REFNET_TEST_CHROMIUM:-/usr/bin/chromium}
case $0 in */*) ROOT=${0%/*}/.. ;; *) ROOT=.. ;; esac
ROOT=$(cd "$ROOT" && pwd) || exit 1

target=$1
case $target in
  up | test-unit)   tools="python" ;;
  test-deploy)      tools="python docker-compose" ;;
  test-integration | test-faults | bench)
                    tools="python rabbitmqctl" ;;
  test-e2e)         tools="python docker-compose rabbitmqctl psql pdftoppm pdftotext pg_dump" ;;
  test-security)    tools="python rabbitmqctl pdftoppm pdftotext pg_dump" ;;
  test-browser)     tools="python rabbitmqctl chromium" ;;
  test)             tools="python docker-compose rabbitmqctl psql pdftoppm pdftotext pg_dump chromium" ;;
  system)           tools="python docker-compose rabbitmqctl pg_ctlcluster psql pdftoppm pdftotext pg_dump chromium" ;;
  *) echo "usage: sh deploy/system-deps.sh up|test|test-<layer>|bench|system" >&2; exit 2 ;;
esac

package() {  # the Debian package that provides a tool
  case $1 in
    python) echo "python3.11 python3.11-venv" ;;
    rabbitmqctl) echo rabbitmq-server ;;
    pg_ctlcluster) echo postgresql ;;
    pdftoppm | pdftotext) echo poppler-utils ;;
    pg_dump | psql) echo postgresql-client ;;
    *) echo "$1" ;;
  esac
}

present() {  # whether a tool is there as the tests will call it
  case $1 in
    python) "$PYTHON" -c 'import sys, ensurepip, venv; sys.exit(sys.version_info[:2] != (3, 11))' \
              >/dev/null 2>&1 ;;
    chromium) [ -x "$CHROMIUM" ] ;;
    *) command -v "$1" >/dev/null 2>&1 ;;
  esac
}

missing() {  # the tools of this target that are not there
  gone=""
  for tool in $tools; do present "$tool" || gone="$gone $tool"; done
  echo "$gone"
}

packages_of() {  # the Debian packages of some tools, each once
  wanted=""
  for tool in "$@"; do
    for name in $(package "$tool"); do
      case " $wanted " in *" $name "*) ;; *) wanted="${wanted:+$wanted }$name" ;; esac
    done
  done
  echo "$wanted"
}

gone=$(missing)
if [ -n "$gone" ] && [ "$(id -u 2>/dev/null)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  # shellcheck disable=SC2086  # word splitting of the tool list is wanted
  wanted=$(packages_of $gone)
  echo "system-deps: installing $wanted (apt-get)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $wanted >/dev/null
  gone=$(missing)
fi

status=0
if [ -n "$gone" ]; then
  status=1
  if command -v apt-get >/dev/null 2>&1; then how="as root: apt-get install -y"
  else how="no apt-get here; with this system's package manager install the Debian equivalent of:"
  fi
  uninstalled=""
  for tool in $gone; do
    elsewhere=""
    for dir in /usr/sbin /sbin; do
      if [ "$tool" != chromium ] && [ -x "$dir/$tool" ]; then elsewhere=$dir; break; fi
    done
    case $tool in
      python) name="$PYTHON (Python 3.11 with its venv module; or make PYTHON=/path/to/python3.11)" ;;
      chromium) name="chromium at $CHROMIUM" ;;
      *) name=$tool ;;
    esac
    if [ -n "$elsewhere" ]; then
      echo "system-deps: make $target needs $name, which is in $elsewhere: add $elsewhere to PATH" >&2
    else
      echo "system-deps: make $target needs $name; $how $(package "$tool")" >&2
      uninstalled="$uninstalled $tool"
    fi
  done
  # shellcheck disable=SC2086  # word splitting of the tool list is wanted
  set -- $uninstalled
  [ $# -gt 1 ] && echo "system-deps: all at once, $how $(packages_of "$@")" >&2
  case " $gone " in *" python "*) exit 1 ;; esac  # the servers are checked with Python
fi

case $target in up | test | test-integration | test-e2e | test-security | test-browser | test-faults | bench)
  "$PYTHON" -I -S - "$ROOT" "$target" <<'EOF' || status=1
"""Whether the broker (and, for tests, PostgreSQL) answer where refnet will look for them."""
import os, socket, sys, urllib.parse

root, target = sys.argv[1], sys.argv[2]
sys.path.insert(0, root)
try:  # the settings modules need only the standard library; if that ever changes, the
    # network and the tests say so themselves
    if target == "up":
        from refnet import settings
        settings.load_env()
        wanted = [("RabbitMQ", "AMQP_URI", os.environ["AMQP_URI"], 5672,
                   "rabbitmq-server -detached (Debian: apt-get install rabbitmq-server)")]
    else:
        from refnet.harness.settings import VALUES
        wanted = [("RabbitMQ", "REFNET_TEST_AMQP_URI", VALUES.test_amqp_uri, 5672,
                   "rabbitmq-server -detached (Debian: apt-get install rabbitmq-server)"),
                  ("PostgreSQL", "REFNET_TEST_POSTGRES_URL", VALUES.test_postgres_url, 5432,
                   "pg_ctlcluster <version> main start (Debian: apt-get install postgresql; "
                   "user postgres with trust auth and a database test, see README)")]
except Exception:
    sys.exit(0)
failed = False
for server, variable, uri, port, start in wanted:
    parts = urllib.parse.urlsplit(uri)
    if not parts.hostname:
        continue  # a Unix socket: left to the client
    where = f"{parts.hostname}:{parts.port or port}"
    try:
        socket.create_connection((parts.hostname, parts.port or port), timeout=3).close()
    except OSError:
        failed = True
        print(f"system-deps: make {target} needs {server} at {where} ({variable}), which does "
              f"not answer; start it: {start}, or point {variable} at yours", file=sys.stderr)
sys.exit(1 if failed else 0)
EOF
esac
exit $status
