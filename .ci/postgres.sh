#!/usr/bin/env bash
# Start a throwaway PostgreSQL server for the tests that also run on PostgreSQL, and print its
# SQLAlchemy URL. Installs Debian's postgresql when it is missing and we are root. Prints nothing
# (and exits 0) when no server can be had: those tests then skip and say why.
set -u
PORT="${POSTGRES_TEST_PORT:-54329}"
DIR="${POSTGRES_TEST_DIR:-/tmp/carillon-pg}"
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
if [ -z "$bin" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; } >&2 || true
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
fi
[ -n "$bin" ] || { echo "no PostgreSQL server available" >&2; exit 0; }
# initdb refuses to run as root; run the server as the postgres user when we are root.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
  echo "no postgres user to run the server as" >&2; exit 0
fi
if ! as_pg "$bin/pg_isready" -q -h 127.0.0.1 -p "$PORT"; then
  rm -rf "$DIR"; mkdir -p "$DIR"
  [ "$(id -u)" = 0 ] && chown postgres "$DIR"
  as_pg "$bin/initdb" -D "$DIR/data" -U postgres --auth=trust -E UTF8 >/dev/null 2>&1 \
    || { echo "initdb failed" >&2; exit 0; }
  as_pg "$bin/pg_ctl" -D "$DIR/data" -l "$DIR/log" -w -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null \
    || { echo "PostgreSQL did not start; see $DIR/log" >&2; exit 0; }
fi
echo "postgresql+asyncpg://postgres@127.0.0.1:$PORT/postgres"
