#!/usr/bin/env bash
# Start a throwaway PostgreSQL server for the tracking tests (tests/track) and print the
# URL they read from $ELECTION_AUDIT_TEST_POSTGRES. Usage (sourced by .ci/run):
#   source .ci/postgres.sh && start_postgres && trap stop_postgres EXIT
# Installs Debian's `postgresql` with apt-get when no server binaries are present. Every
# step is bounded in time; on any failure start_postgres returns non-zero, prints why, and
# leaves the variable unset, so those tests skip with a reason instead of failing CI.

pg_dir=""
pg_bin=""
pg_run=()

_pg_binaries() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

_pg_install() {
  local sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "CI: PostgreSQL: not root and no sudo" >&2; return 1; }
    sudo=(sudo -n)
  fi
  command -v apt-get >/dev/null 2>&1 || { echo "CI: PostgreSQL: no apt-get" >&2; return 1; }
  export DEBIAN_FRONTEND=noninteractive
  timeout 600 "${sudo[@]}" apt-get install -y -qq --no-install-recommends postgresql \
      >/dev/null 2>&1 && return 0
  timeout 300 "${sudo[@]}" apt-get update -qq >/dev/null 2>&1 || true
  timeout 600 "${sudo[@]}" apt-get install -y -qq --no-install-recommends postgresql \
      >/dev/null 2>&1
}

start_postgres() {
  pg_bin=$(_pg_binaries)
  if [ -z "$pg_bin" ]; then
    echo "CI: installing PostgreSQL (apt-get install postgresql)"
    _pg_install || { echo "CI: PostgreSQL could not be installed; its tests will skip" >&2; return 1; }
    pg_bin=$(_pg_binaries)
    [ -n "$pg_bin" ] || { echo "CI: no PostgreSQL binaries after install; its tests will skip" >&2; return 1; }
  fi
  pg_dir=$(mktemp -d)
  pg_run=()
  if [ "$(id -u)" -eq 0 ]; then  # the server refuses to run as root
    id postgres >/dev/null 2>&1 || { echo "CI: no postgres user; PostgreSQL tests will skip" >&2; return 1; }
    chown postgres "$pg_dir"
    pg_run=(runuser -u postgres --)
  fi
  local port
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  if ! timeout 120 "${pg_run[@]}" "$pg_bin/initdb" -D "$pg_dir/data" -A trust -U postgres \
      >"$pg_dir/initdb.log" 2>&1; then
    echo "CI: initdb failed; PostgreSQL tests will skip:" >&2; tail -n 5 "$pg_dir/initdb.log" >&2
    return 1
  fi
  if ! timeout 120 "${pg_run[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w -t 60 \
      -o "-p $port -k $pg_dir -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null 2>&1; then
    echo "CI: the PostgreSQL server did not start; its tests will skip:" >&2
    tail -n 5 "$pg_dir/server.log" >&2 2>/dev/null
    return 1
  fi
  if ! timeout 60 "${pg_run[@]}" "$pg_bin/createdb" -h 127.0.0.1 -p "$port" -U postgres election_audit; then
    echo "CI: createdb failed; PostgreSQL tests will skip" >&2
    stop_postgres
    return 1
  fi
  export ELECTION_AUDIT_TEST_POSTGRES="postgresql://postgres@127.0.0.1:$port/election_audit"
  echo "CI: PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') at $ELECTION_AUDIT_TEST_POSTGRES"
}

stop_postgres() {
  if [ -n "$pg_dir" ] && [ -d "$pg_dir/data" ]; then
    timeout 60 "${pg_run[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$pg_dir"
  fi
  pg_dir=""
}
