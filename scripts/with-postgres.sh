#!/usr/bin/env bash
# Run a command with a throwaway PostgreSQL cluster: TEST_DATABASE_URL points at it, and the
# cluster is stopped and deleted afterwards, whatever the command's outcome.
# Without PostgreSQL binaries the command runs alone (CI=true makes that an error).
set -euo pipefail

PG_BIN="${PG_BIN:-/usr/lib/postgresql/15/bin}"
if [ ! -x "$PG_BIN/initdb" ]; then
  if [ "${CI:-}" = "true" ]; then
    echo "with-postgres: $PG_BIN/initdb not found, and CI requires the PostgreSQL tests" >&2
    exit 1
  fi
  echo "with-postgres: no PostgreSQL binaries in $PG_BIN; PostgreSQL tests will be skipped" >&2
  exec "$@"
fi

dir="$(mktemp -d /tmp/inspect-pg.XXXXXX)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
as_pg=()
if [ "$(id -u)" = "0" ]; then
  chown postgres "$dir"
  as_pg=(runuser -u postgres --)
fi

cleanup() {
  "${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT INT TERM

"${as_pg[@]}" "$PG_BIN/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >/dev/null
"${as_pg[@]}" "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/log" \
  -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300" -w start >/dev/null

export TEST_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$port/postgres"
echo "with-postgres: throwaway cluster on port $port"
"$@"
