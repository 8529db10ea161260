#!/usr/bin/env bash
# Throwaway local PostgreSQL server for the test suites.
#
#   scripts/test-postgres.sh [start]   start (or reuse) a server; the last and only line on
#                                      stdout is DATABASE_URL=postgres://postgres@127.0.0.1:PORT/smmpanel_test
#   scripts/test-postgres.sh stop      stop the server this script started and delete its files
#   scripts/test-postgres.sh status    exit 0 if a server answers on the port, 1 otherwise
#   scripts/test-postgres.sh restart   restart the server this script started (fast shutdown:
#                                      every connection is cut), for the scale-out test
#   scripts/test-postgres.sh down|up   stop that server keeping its data, start it again (the
#                                      outage test)
#
# Typical use:
#   export "$(scripts/test-postgres.sh | tail -n 1)"
#   swift test
#   scripts/test-postgres.sh stop
#
# Environment:
#   PGPORT_TEST  TCP port on 127.0.0.1 (default 54329)
#   PG_BIN       directory holding initdb/pg_ctl/psql (default: newest /usr/lib/postgresql/*/bin)
#
# The server is for tests only: trust authentication, fsync off, loopback only, data under
# /tmp/smmpanel-test-pg-PORT. As root it runs as the `postgres` user (created if missing) and
# installs Debian's postgresql package when no server binaries are found. If a server already
# answers on the port it is reused and only the database is created when missing.
# Everything except the final DATABASE_URL line goes to stderr.
set -euo pipefail

PORT="${PGPORT_TEST:-54329}"
DB_NAME="smmpanel_test"
PG_SUPERUSER="postgres"
BASE="/tmp/smmpanel-test-pg-${PORT}"
DATA="${BASE}/data"
LOG="${BASE}/postgres.log"
MARKER="${BASE}/.smmpanel-test-pg"

# Keep the real stdout on fd 3 for the one result line; everything else goes to stderr.
exec 3>&1 1>&2

log() { printf 'test-postgres: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

is_root() { [ "$(id -u)" -eq 0 ]; }

find_pg_bin() {
    if [ -n "${PG_BIN:-}" ]; then
        [ -x "${PG_BIN}/initdb" ] && { printf '%s\n' "$PG_BIN"; return 0; }
        return 1
    fi
    local dir
    dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
    if [ -n "$dir" ] && [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then
        printf '%s\n' "$dir"
        return 0
    fi
    return 1
}

ensure_pg_bin() {
    if PG_BIN="$(find_pg_bin)"; then
        return 0
    fi
    is_root || die "PostgreSQL server binaries not found (install the 'postgresql' package or set PG_BIN)"
    log "PostgreSQL server binaries not found; installing Debian's postgresql package"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update >&2
    apt-get install -y --no-install-recommends postgresql >&2
    PG_BIN="$(find_pg_bin)" || die "postgresql installed but no initdb under /usr/lib/postgresql/*/bin"
}

ensure_pg_user() {
    is_root || return 0
    if ! id -u "$PG_SUPERUSER" >/dev/null 2>&1; then
        log "creating system user $PG_SUPERUSER"
        useradd --system --no-create-home --home-dir /var/lib/postgresql \
            --shell /bin/bash "$PG_SUPERUSER"
    fi
}

# Run a server-side command as the postgres user when root (initdb/postgres refuse root),
# otherwise as the current user. cd into BASE so the postgres user never sits in an
# unreadable working directory. fd 3 (our stdout) is closed so the daemon cannot hold it
# open: a caller doing $(scripts/test-postgres.sh) would otherwise never see EOF.
as_pg() {
    if is_root; then
        (cd "$BASE" && runuser -u "$PG_SUPERUSER" -- "$@") </dev/null 3>&-
    else
        (cd "$BASE" && "$@") </dev/null 3>&-
    fi
}

# pg_isready exit codes: 0 accepting, 1 rejecting (starting up), 2 no response, 3 bad params.
ready_state() {
    local rc=0
    "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" -U "$PG_SUPERUSER" -d postgres -t 3 \
        </dev/null 3>&- || rc=$?
    echo "$rc"
}

wait_ready() {
    local i
    for i in $(seq 1 60); do
        if [ "$(ready_state)" = 0 ]; then
            return 0
        fi
        sleep 1
    done
    return 1
}

psql_admin() {
    PGCONNECT_TIMEOUT=10 "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 \
        -h 127.0.0.1 -p "$PORT" -U "$PG_SUPERUSER" -d postgres "$@" </dev/null 3>&-
}

ensure_database() {
    local exists
    exists="$(psql_admin -tA -c "SELECT 1 FROM pg_database WHERE datname = '${DB_NAME}'")" \
        || die "cannot connect to the server on 127.0.0.1:${PORT} as ${PG_SUPERUSER}"
    if [ "$exists" != 1 ]; then
        log "creating database ${DB_NAME}"
        psql_admin -c "CREATE DATABASE ${DB_NAME}" >&2
    fi
}

# Remove what a previous run of this script left at BASE (only if it carries our marker).
clean_base() {
    [ -d "$BASE" ] || return 0
    [ -f "$MARKER" ] || die "$BASE exists but was not made by this script; remove it or pick another PGPORT_TEST"
    if [ -f "$DATA/postmaster.pid" ]; then
        as_pg "$PG_BIN/pg_ctl" -D "$DATA" -m immediate -w -t 30 stop >&2 || true
    fi
    rm -rf -- "$BASE"
}

cmd_start() {
    ensure_pg_bin
    log "using $("$PG_BIN/postgres" --version) from $PG_BIN, port $PORT"

    local state
    state="$(ready_state)"
    if [ "$state" = 1 ]; then
        log "a server on port $PORT is starting; waiting"
        wait_ready || die "server on port $PORT never became ready"
        state=0
    fi

    if [ "$state" = 0 ]; then
        log "a server already answers on 127.0.0.1:$PORT; reusing it"
    else
        ensure_pg_user
        clean_base
        mkdir -p "$BASE"
        touch "$MARKER"
        if is_root; then
            chown -R "$PG_SUPERUSER": "$BASE"
        fi
        chmod 0700 "$BASE"

        log "initdb in $DATA"
        as_pg "$PG_BIN/initdb" -D "$DATA" -A trust -U "$PG_SUPERUSER" -E UTF8 --locale=C \
            --no-instructions >"$BASE/initdb.out" 2>&1 \
            || { cat "$BASE/initdb.out" >&2 || true; die "initdb failed"; }

        log "starting server (log: $LOG)"
        if ! as_pg "$PG_BIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 \
            -o "-p $PORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=1000" \
            start >&2; then
            log "pg_ctl start failed; server log follows"
            tail -n 50 "$LOG" >&2 || true
            die "could not start PostgreSQL on port $PORT"
        fi
        wait_ready || { tail -n 50 "$LOG" >&2 || true; die "server started but pg_isready never said ready"; }
    fi

    ensure_database
    log "ready"
    printf 'DATABASE_URL=postgres://%s@127.0.0.1:%s/%s\n' "$PG_SUPERUSER" "$PORT" "$DB_NAME" >&3
}

cmd_stop() {
    if [ -f "$DATA/postmaster.pid" ] && [ -f "$MARKER" ]; then
        PG_BIN="$(find_pg_bin)" || die "cannot find pg_ctl to stop the server"
        log "stopping server in $DATA"
        as_pg "$PG_BIN/pg_ctl" -D "$DATA" -m fast -w -t 60 stop >&2 \
            || as_pg "$PG_BIN/pg_ctl" -D "$DATA" -m immediate -w -t 30 stop >&2 \
            || log "warning: pg_ctl stop failed"
    else
        log "no server started by this script on port $PORT"
    fi
    if [ -d "$BASE" ] && [ -f "$MARKER" ]; then
        rm -rf -- "$BASE"
    fi
}

cmd_restart() {
    [ -f "$DATA/postmaster.pid" ] && [ -f "$MARKER" ] || die "no server started by this script on port $PORT"
    PG_BIN="$(find_pg_bin)" || die "cannot find pg_ctl"
    log "restarting server in $DATA"
    as_pg "$PG_BIN/pg_ctl" -D "$DATA" -l "$LOG" -m fast -w -t 60 \
        -o "-p $PORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=1000" restart >&2
    wait_ready || die "server did not come back"
}

cmd_down() {
    [ -f "$DATA/postmaster.pid" ] && [ -f "$MARKER" ] || die "no server started by this script on port $PORT"
    PG_BIN="$(find_pg_bin)" || die "cannot find pg_ctl"
    log "stopping server in $DATA (data kept)"
    as_pg "$PG_BIN/pg_ctl" -D "$DATA" -m fast -w -t 60 stop >&2
}

cmd_up() {
    [ -d "$DATA" ] && [ -f "$MARKER" ] || die "no server data made by this script for port $PORT"
    PG_BIN="$(find_pg_bin)" || die "cannot find pg_ctl"
    log "starting server in $DATA"
    as_pg "$PG_BIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 \
        -o "-p $PORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=1000" start >&2
    wait_ready || die "server did not come back"
}

cmd_status() {
    PG_BIN="$(find_pg_bin)" || die "PostgreSQL binaries not found"
    [ "$(ready_state)" = 0 ]
}

case "${1:-start}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    restart) cmd_restart ;;
    down) cmd_down ;;
    up) cmd_up ;;
    -h|--help|help) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//' ;;
    *) die "usage: $0 [start|stop|status|restart|down|up]" ;;
esac
