#!/usr/bin/env bash
# Side by side: the add-on (SQLite as `make run` serves it, PostgreSQL as production.ini serves it)
# against two SCIM peers (python-scim's scim2-server, 15five's django-scim2), a bare Pyramid
# route (the framework floor) and that route inside the add-on's mandated stack (pyramid_tm,
# zope.sqlalchemy, SQLAlchemy 2, one primary-key lookup: the stack floor, on SQLite and on
# PostgreSQL), on the same Okta-shaped workload, interleaved in one run.
#
#   compare.sh setup                    # peer venvs under ${TMPDIR:-/tmp}/scim-bench-venvs; `make install` of the add-on
#   compare.sh matrix [ROUNDS] [N]      # every system, ROUNDS rounds (3), N users (2000), order rotated each round
#   compare.sh grow [N] [SYSTEMS..]     # N users (20000): seed, one-connection reads, the full paged import, conflicts
#   compare.sh writes [N]               # the add-on's write path at 4 and 8 concurrent clients
#   compare.sh one SYSTEM [N] [PHASES]  # a single run
#   compare.sh summary [N]              # the tables: medians over rounds of per-round ratios
#
# Run it from the project root (or set ADDON=path). SYSTEMS: addon-sqlite addon-pg addon-pg-gunicorn scim2-server-waitress
# django-scim2 django-scim2-gunicorn pyramid-floor pyramid-floor-gunicorn pyramid-tm-floor pyramid-tm-floor-pg
# addon-sql-floor addon-sql-floor-pg addon-sql-floor-pg-gunicorn.
# Env: RESULTS (${TMPDIR:-/tmp}/peers-bench-results), PG_URL_BASE (postgresql+psycopg://postgres@127.0.0.1:5432),
#      BENCH_CONCURRENCY (4), BENCH_THREADS (4, the peers' waitress threads), C1 (500 one-connection requests),
#      BENCH_ARGS (more scim_bench.py arguments for every system, e.g. "--misses 2000").
# Ports 6631-6641 on 127.0.0.1 only. Every server starts fresh (empty database) and is stopped by its PID;
# every PostgreSQL database made here is called perf_* and dropped after its run.
# The add-on is started as `make run` starts it: `alembic -c INI upgrade head`, `alembic -c INI -n scim_alembic
# upgrade head`, `livepreso-hq INI demo` (token on the last line) and `pserve INI` (addon_prepare, start()).
# This is the project's copy of ../shared/peers-bench, adapted to those commands.
set -euo pipefail
ADDON=$(cd "${ADDON:-$(git rev-parse --show-toplevel 2>/dev/null || pwd)}" && pwd)
cd "$(dirname "$0")"
HERE=$(pwd)
PY=${PYTHON:-python3.11}
VENVS=${BENCH_VENV_DIR:-${TMPDIR:-/tmp}/scim-bench-venvs}
RESULTS=${RESULTS:-${TMPDIR:-/tmp}/peers-bench-results}
THREADS=${BENCH_THREADS:-4}            # the peers' waitress threads
CONC=${BENCH_CONCURRENCY:-4}
PHASE_TIMEOUT=${BENCH_PHASE_TIMEOUT:-300}
PG_URL_BASE=${PG_URL_BASE:-postgresql+psycopg://postgres@127.0.0.1:5432}
PSQL=(psql -h 127.0.0.1 -p 5432 -U postgres -d postgres -qAt -v ON_ERROR_STOP=1)
export PYTHONDONTWRITEBYTECODE=1
export PYTHONWARNINGS="ignore:pkg_resources is deprecated as an API"
mkdir -p "$RESULTS"
ALL_SYSTEMS=(addon-sqlite addon-pg addon-pg-gunicorn scim2-server-waitress django-scim2 django-scim2-gunicorn pyramid-floor
             pyramid-floor-gunicorn pyramid-tm-floor pyramid-tm-floor-pg addon-sql-floor addon-sql-floor-pg
             addon-sql-floor-pg-gunicorn)

SERVER_PID=""; WORKDIR=""; PGDB=""; TOKEN=""
cleanup() {
  if [[ -n "$SERVER_PID" ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 300); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$SERVER_PID" 2>/dev/null || true
  fi
  SERVER_PID=""
  if [[ -n "$PGDB" ]]; then "${PSQL[@]}" -c "DROP DATABASE IF EXISTS $PGDB WITH (FORCE)" || true; fi
  PGDB=""
  if [[ -n "$WORKDIR" && -d "$WORKDIR" ]]; then rm -rf "$WORKDIR"; fi
  WORKDIR=""; TOKEN=""
}
trap cleanup EXIT

setup() {
  mkdir -p "$VENVS"
  for name in django-scim2 scim2-server pyramid-floor; do
    [[ -x "$VENVS/$name/bin/python" ]] || "$PY" -m venv "$VENVS/$name"
    "$VENVS/$name/bin/pip" install -q -r "$HERE/peers/requirements-$name.txt"
  done
  (cd "$ADDON" && make install)
  "$ADDON/.venv/bin/pip" install -q 'gunicorn>=23'   # addon-pg-gunicorn
}

port_open() { "$PY" -c "import socket,sys; s=socket.socket(); s.settimeout(0.5); sys.exit(s.connect_ex(('127.0.0.1',$1)))" 2>/dev/null; }
wait_port() {
  for _ in $(seq 1 120); do
    port_open "$1" && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || { echo "server died:"; cat "$WORKDIR/server.log"; return 1; }
    sleep 0.5
  done
  echo "server did not listen on $1"; return 1
}

# the add-on's ini, listening on our port (and only on 127.0.0.1); development.ini takes
# its port from http_port, which its public URL follows too. production.ini's per-token
# rate limits are off: the workload is one token at full speed, and no peer limits it.
addon_ini() {  # src dst port
  sed -e "s/^listen = .*/listen = 127.0.0.1:$3/" -e "s/^http_port = .*/http_port = $3/" \
      -e "s/^scim.rate_limit_per_minute = .*/scim.rate_limit_per_minute =/" \
      -e "s/^scim.rate_limit_unauthenticated_per_minute = .*/scim.rate_limit_unauthenticated_per_minute =/" "$1" > "$2"
}

# The SQL floor (peers/addon_sql_floor.py) on the database the add-on's commands prepared,
# served from the same ini with the app swapped; after addon_prepare, whose commands load the app.
sql_floor_ini() { sed -i "s/^use = egg:livepreso_scim_addon$/use = call:peers.addon_sql_floor:make_app/" "$WORKDIR/app.ini"; }

# the add-on's start-up as `make run` does it: both migration histories, then the demo
# instance (its token is the last line printed)
addon_prepare() {
  (cd "$WORKDIR" && "$ADDON/.venv/bin/alembic" -c app.ini upgrade head >/dev/null 2>&1 \
    && "$ADDON/.venv/bin/alembic" -c app.ini -n scim_alembic upgrade head >/dev/null 2>&1)
  TOKEN=$(cd "$WORKDIR" && "$ADDON/.venv/bin/livepreso-hq" app.ini demo 2>/dev/null | tail -1)
}

start() {
  local sys=$1
  case "$sys" in
    addon-sqlite) PORT=6636;; addon-pg) PORT=6637;; addon-pg-jitoff) PORT=6638;; addon-pg-gunicorn) PORT=6639;;
    django-scim2) PORT=6631;; scim2-server-waitress) PORT=6632;; pyramid-floor) PORT=6633;;
    django-scim2-gunicorn) PORT=6634;; pyramid-floor-gunicorn) PORT=6635;;
    pyramid-tm-floor|addon-sql-floor) PORT=6640;; pyramid-tm-floor-pg|addon-sql-floor-pg|addon-sql-floor-pg-gunicorn) PORT=6641;;
    *) echo "unknown system $sys"; exit 2;;
  esac
  if port_open "$PORT"; then echo "port $PORT in use: refusing"; exit 1; fi
  WORKDIR=$(mktemp -d "${TMPDIR:-/tmp}/perf-run.XXXXXX")
  TOKEN=""
  local pb="$HERE/peers"
  case "$sys" in
    addon-sqlite|addon-sql-floor)
      mkdir -p "$WORKDIR/var"
      addon_ini "$ADDON/development.ini" "$WORKDIR/app.ini" "$PORT"
      addon_prepare
      BASE="http://127.0.0.1:$PORT/scim/v2/demo"
      local floor_path=""  # where `peers.` imports from, for the SQL floor only
      [[ $sys == addon-sql-floor ]] && { sql_floor_ini; floor_path=$HERE; }
      (cd "$WORKDIR" && PYTHONPATH="$floor_path" exec "$ADDON/.venv/bin/pserve" app.ini) >"$WORKDIR/server.log" 2>&1 &
      SERVER_PID=$!;;
    addon-pg|addon-pg-jitoff|addon-pg-gunicorn|addon-sql-floor-pg|addon-sql-floor-pg-gunicorn)
      PGDB="perf_addon_$$_$RANDOM"
      "${PSQL[@]}" -c "CREATE DATABASE $PGDB"
      # addon-pg-jitoff: the same with JIT off for the database, for comparison.
      [[ $sys == addon-pg-jitoff ]] && "${PSQL[@]}" -c "ALTER DATABASE $PGDB SET jit = off"
      export SCIM_DATABASE_URL="$PG_URL_BASE/$PGDB"
      export SCIM_SSO_KEY=${SCIM_SSO_KEY:-$("$ADDON/.venv/bin/python" -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())")}
      addon_ini "$ADDON/production.ini" "$WORKDIR/app.ini" "$PORT"
      export SCIM_PUBLIC_URL="http://127.0.0.1:$PORT"
      addon_prepare
      BASE="http://127.0.0.1:$PORT/scim/v2/demo"
      local floor_path=""  # where `peers.` imports from, for the SQL floor only
      [[ $sys == addon-sql-floor-pg* ]] && { sql_floor_ini; floor_path=$HERE; }
      if [[ $sys == *-gunicorn ]]; then
        # The multi-process set-up the README recommends for a multi-core host: gunicorn
        # reading the same ini, one worker per core, a few threads each.
        (cd "$WORKDIR" && PYTHONPATH="$floor_path" exec "$ADDON/.venv/bin/gunicorn" --paste app.ini --bind "127.0.0.1:$PORT" \
          --workers "${ADDON_WORKERS:-2}" --worker-class gthread --threads "${ADDON_THREADS:-4}") >"$WORKDIR/server.log" 2>&1 &
      else
        (cd "$WORKDIR" && PYTHONPATH="$floor_path" exec "$ADDON/.venv/bin/pserve" app.ini) >"$WORKDIR/server.log" 2>&1 &
      fi
      SERVER_PID=$!;;
    django-scim2|django-scim2-gunicorn)
      BASE="http://127.0.0.1:$PORT/scim/v2"
      local db="$WORKDIR/db.sqlite3"
      (cd "$pb/django_scim2_app" && SCIM_BENCH_DB="$db" "$VENVS/django-scim2/bin/python" manage.py migrate -v0)
      if [[ $sys == django-scim2 ]]; then
        (cd "$pb/django_scim2_app" && SCIM_BENCH_DB="$db" SCIM_BENCH_NETLOC="127.0.0.1:$PORT" \
          exec "$VENVS/django-scim2/bin/waitress-serve" --listen="127.0.0.1:$PORT" \
          --threads="$THREADS" benchsite.wsgi:application) >"$WORKDIR/server.log" 2>&1 &
      else
        (cd "$pb/django_scim2_app" && SCIM_BENCH_DB="$db" SCIM_BENCH_NETLOC="127.0.0.1:$PORT" \
          exec "$VENVS/django-scim2/bin/gunicorn" --bind "127.0.0.1:$PORT" --workers 2 \
          --worker-class gthread --threads 2 benchsite.wsgi:application) >"$WORKDIR/server.log" 2>&1 &
      fi
      SERVER_PID=$!;;
    scim2-server-waitress)
      BASE="http://127.0.0.1:$PORT/v2"
      "$VENVS/scim2-server/bin/waitress-serve" --listen="127.0.0.1:$PORT" --threads="$THREADS" \
        --call peers.scim2_server_waitress:make_app >"$WORKDIR/server.log" 2>&1 &
      SERVER_PID=$!;;
    pyramid-floor)
      BASE="http://127.0.0.1:$PORT/scim/v2"
      "$VENVS/pyramid-floor/bin/waitress-serve" --listen="127.0.0.1:$PORT" --threads="$THREADS" \
        --call peers.pyramid_floor:make_app >"$WORKDIR/server.log" 2>&1 &
      SERVER_PID=$!;;
    pyramid-floor-gunicorn)
      BASE="http://127.0.0.1:$PORT/scim/v2"
      "$VENVS/pyramid-floor/bin/gunicorn" --bind "127.0.0.1:$PORT" --workers 2 --worker-class gthread \
        --threads 2 "peers.pyramid_floor:make_app()" >"$WORKDIR/server.log" 2>&1 &
      SERVER_PID=$!;;
    pyramid-tm-floor|pyramid-tm-floor-pg)
      # The floor inside the add-on's mandated stack, in the add-on's venv, with the
      # add-on's 8 waitress threads (its ini's); run from $HERE so that `peers.` imports.
      BASE="http://127.0.0.1:$PORT/scim/v2"
      local url="sqlite:///$WORKDIR/floor.sqlite"
      if [[ $sys == pyramid-tm-floor-pg ]]; then
        PGDB="perf_tmfloor_$$_$RANDOM"
        "${PSQL[@]}" -c "CREATE DATABASE $PGDB"
        url="$PG_URL_BASE/$PGDB"
      fi
      (cd "$HERE" && FLOOR_DATABASE_URL="$url" exec "$ADDON/.venv/bin/waitress-serve" --listen="127.0.0.1:$PORT" \
        --threads=8 --call peers.pyramid_tm_floor:make_app) >"$WORKDIR/server.log" 2>&1 &
      SERVER_PID=$!;;
  esac
  wait_port "$PORT"
  sleep 0.5
  kill -0 "$SERVER_PID" 2>/dev/null || { echo "server exited:"; cat "$WORKDIR/server.log"; exit 1; }
}

# peak RSS (VmHWM, KiB) of the server process and of its children (gunicorn workers)
peak_rss() {
  local pids=("$SERVER_PID") kids t=0 m=0 v
  kids=$(ps -o pid= --ppid "$SERVER_PID" 2>/dev/null || true)
  for p in $SERVER_PID $kids; do
    v=$(awk '/VmHWM/{print $2}' "/proc/$p/status" 2>/dev/null || echo 0)
    t=$((t + ${v:-0})); (( ${v:-0} > m )) && m=${v:-0}
  done
  echo "{\"peak_rss_kib_max_process\": $m, \"peak_rss_kib_sum\": $t, \"server_log_lines\": $(wc -l < "$WORKDIR/server.log")}"
}

bench() {  # sys stem extra-args...
  local sys=$1 stem=$2; shift 2
  local tokarg=()
  [[ -n "$TOKEN" ]] && tokarg=(--token "$TOKEN")
  "$PY" "$HERE/scim_bench.py" --base-url "$BASE" "${tokarg[@]}" --label "$sys" --concurrency "$CONC" \
    --phase-timeout "$PHASE_TIMEOUT" --c1-requests "${C1:-500}" --json "$RESULTS/$stem.json" --quiet "$@" ${BENCH_ARGS:-} > "$RESULTS/$stem.txt" 2>&1 \
    || { echo "bench failed for $sys"; cat "$RESULTS/$stem.txt"; }
  peak_rss > "$RESULTS/$stem.rss.json"
  cp "$WORKDIR/server.log" "$RESULTS/$stem.server.log" 2>/dev/null || true
  grep -E "^(seed|lookup|get|page|deact|group|confl|compat)" "$RESULTS/$stem.txt" | awk '{print "   ", $0}' | cut -c1-150 || true
}

run_one() {  # sys n stem phases
  local sys=$1 n=$2 stem=$3 phases=$4
  echo "== $(date +%T) $stem"
  start "$sys"
  if [[ $sys == pyramid-floor* ]]; then
    bench "$sys" "$stem" --phases get-c1,get --synthetic-ids "$n" --gets 2000
  elif [[ $sys == addon-sql-floor* ]]; then
    bench "$sys" "$stem" --users "$n" --phases seed,lookup-c1,get-c1,lookup,lookup-ci,lookup-miss,get,deactivate,conflict
  elif [[ $sys == pyramid-tm-floor* ]]; then
    # the stack floors also create, deactivate and refuse duplicates (peers/pyramid_tm_floor.py)
    bench "$sys" "$stem" --users "$n" --phases seed,get-c1,get,deactivate,conflict --gets 2000
  else
    local extra=()
    bench "$sys" "$stem" --users "$n" --phases "$phases" "${extra[@]}"
  fi
  cleanup
}

FULL=seed,lookup-c1,get-c1,lookup,lookup-ci,lookup-miss,get,page,deactivate,group,conflict,compat
GROW=seed,lookup-c1,get-c1,page,conflict

cmd=${1:-}; shift || true
case "$cmd" in
  setup) setup ;;
  one) run_one "$1" "${2:-2000}" "one_$1_n${2:-2000}_c${CONC}" "${3:-$FULL}" ;;
  writes)   # writes N: the write path at c=4 and c=8, interleaved, ROUNDS (2) rounds
    n=${1:-1000}
    for r in $(seq 1 "${ROUNDS:-2}"); do
      for sys in addon-sqlite addon-pg; do
        for c in 4 8; do
          CONC=$c run_one "$sys" "$n" "writes_${sys}_n${n}_c${c}_r${r}" seed,deactivate,conflict
        done
      done
    done ;;
  matrix)   # matrix ROUNDS N [FIRST_ROUND] [SYSTEMS...]
    reps=${1:-3}; n=${2:-2000}; first=${3:-1}; shift 3 || shift $#
    if [[ $# -gt 0 ]]; then systems=("$@"); else systems=("${ALL_SYSTEMS[@]}"); fi
    k=${#systems[@]}
    for r in $(seq "$first" $((first + reps - 1))); do
      for i in $(seq 0 $((k - 1))); do
        sys=${systems[$(( (i + r - 1) % k ))]}
        run_one "$sys" "$n" "${sys}_n${n}_r${r}" "$FULL"
      done
    done ;;
  grow)
    n=${1:-20000}; shift || true
    if [[ $# -gt 0 ]]; then systems=("$@"); else systems=(addon-sqlite addon-pg scim2-server-waitress django-scim2 django-scim2-gunicorn); fi
    for sys in "${systems[@]}"; do run_one "$sys" "$n" "${sys}_n${n}_grow" "$GROW"; done ;;
  summary) "$PY" "$HERE/perf_summary.py" "$RESULTS" "${1:-2000}" ;;
  *) sed -n '2,23p' "$0"; exit 2 ;;
esac
