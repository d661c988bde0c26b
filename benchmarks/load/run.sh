#!/usr/bin/env bash
# The load run: a fresh PostgreSQL database with N enrolled candidates, gunicorn on it, Locust
# driving every candidate through login, the start spike, steady answering at each level and the
# saturation ceiling, the CPU sampled per process group, then the report (report.md in $OUT).
#
#   benchmarks/load/run.sh                       # 5,000 candidates, levels 5000,2000,1000
#   N=600 LEVELS=600,200 STEADY=60 LOGIN=40 benchmarks/load/run.sh   # a quick smoke run
#   PRESTART=1 benchmarks/load/run.sh            # sessions started and signed in by setup.py (steady levels only)
#   FINISH=deadline benchmarks/load/run.sh       # nobody submits: the deadlines pass, spread over SPREAD=120 s
#
# Needs PostgreSQL on 127.0.0.1:5432 (trust auth; the database $LOAD_DB is dropped and made
# again) and Redis on 127.0.0.1:6379 (rate limits, as in a multi-node deployment).
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${N:-5000}
LEVELS=${LEVELS:-5000,2000,1000}
LOGIN=${LOGIN:-300}
SPIKE=${SPIKE:-60}
STEADY=${STEADY:-90}
MAX_DRAIN=${MAX_DRAIN:-600}
SAT=${SAT:-30}
SAT_USERS=${SAT_USERS:-24}
WORKERS=${WORKERS:-2}
THREADS=${THREADS:-4}
PORT=${PORT:-8100}
PRESTART=${PRESTART:-0}
LOAD_DB=${LOAD_DB:-ujian_load}
OUT=${OUT:-/tmp/ujian-load/run-$(date +%Y%m%d-%H%M%S)}
DB_URL="postgresql+psycopg://postgres@127.0.0.1:5432/$LOAD_DB"
BIN=.venv/bin
mkdir -p "$OUT"

# Autovacuum on, as in any production server: with it off (this machine's CI configuration, for
# test speed) the tables keep the statistics setup.py took while they were empty, and every read of
# the answers, checkpoints and events becomes a sequential scan (measured: 5 ms of PostgreSQL per
# save instead of 1.8, and half the save ceiling). The setting it had is put back at the end.
AUTOVACUUM_WAS=$(psql -h 127.0.0.1 -U postgres -d postgres -Atc "SHOW autovacuum")
if [ "$AUTOVACUUM_WAS" != on ]; then
  psql -h 127.0.0.1 -U postgres -d postgres -qAtc "ALTER SYSTEM SET autovacuum = on" -c "SELECT pg_reload_conf()" >/dev/null
fi
restore_autovacuum() {
  if [ "$AUTOVACUUM_WAS" != on ]; then
    psql -h 127.0.0.1 -U postgres -d postgres -qAtc "ALTER SYSTEM RESET autovacuum" -c "SELECT pg_reload_conf()" >/dev/null
  fi
}
trap restore_autovacuum EXIT

echo "== setup: $N candidates in $LOAD_DB"
export SECRET_KEY=load-test-secret-key-0123456789abcdef
SETUP_FLAGS=()
if [ "$PRESTART" = 1 ]; then SETUP_FLAGS=(--prestart); LOGIN=0; SPIKE=0; MAX_DRAIN=55; fi
$BIN/python benchmarks/load/setup.py --database-url "$DB_URL" --candidates "$N" --recreate \
  --output "$OUT/candidates.csv" "${SETUP_FLAGS[@]}"

echo "== gunicorn: $WORKERS workers x $THREADS threads on :$PORT"
export DATABASE_URL="$DB_URL" REDIS_URL=redis://127.0.0.1:6379/0
export EXAMSERVER_INSTANCE="$OUT/instance" INTEGRITY_ANCHOR_FILE="$OUT/anchors.log"
mkdir -p "$EXAMSERVER_INSTANCE"
redis-cli -h 127.0.0.1 -n 0 --scan --pattern 'LIMITS*' | xargs -r redis-cli -h 127.0.0.1 -n 0 del >/dev/null
BIND=127.0.0.1:$PORT WEB_CONCURRENCY=$WORKERS GUNICORN_THREADS=$THREADS \
  $BIN/gunicorn -c gunicorn.conf.py --backlog 4096 wsgi:app >"$OUT/gunicorn.log" 2>&1 &
GUNICORN=$!
cleanup() {
  kill "$GUNICORN" 2>/dev/null || true
  [ -n "${SAMPLER:-}" ] && kill "$SAMPLER" 2>/dev/null || true
  restore_autovacuum
}
trap cleanup EXIT
for _ in $(seq 1 60); do curl -fs -m 2 "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.5; done
curl -fs -m 5 "http://127.0.0.1:$PORT/healthz"; echo

ulimit -n 65536 2>/dev/null || true
T0=$(python3 -c "import time; print(time.time() + 15)")
IFS=, read -ra LV <<<"$LEVELS"
FINISH=${FINISH:-submit}
SPREAD=${SPREAD:-120}
FINISH_SECONDS=$([ "$FINISH" = deadline ] && echo "$SPREAD + 30 + 60" || echo 25)
RUNTIME=$(python3 -c "print(int($LOGIN + 10 + $SPIKE + $MAX_DRAIN + ${#LV[@]} * $STEADY + (${#LV[@]} - 1) * 25 + 2 * $SAT + $FINISH_SECONDS + 60))")
echo "== locust: $N users, levels $LEVELS, about $RUNTIME s; output $OUT"
LOAD_T0=$T0 LOAD_CANDIDATES="$OUT/candidates.csv" LOAD_OUT="$OUT" LOAD_LOGIN_SECONDS=$LOGIN \
  LOAD_SPIKE_SECONDS=$SPIKE LOAD_STEADY_SECONDS=$STEADY LOAD_SAT_SECONDS=$SAT LOAD_SAT_USERS=$SAT_USERS \
  LOAD_LEVELS=$LEVELS LOAD_USERS=$N LOAD_MAX_DRAIN_SECONDS=$MAX_DRAIN LOAD_PRESTARTED=$PRESTART \
  LOAD_FINISH=$FINISH LOAD_DEADLINE_SPREAD=$SPREAD LOAD_DATABASE_URL="$DB_URL" \
  $BIN/locust -f benchmarks/load/locustfile.py --headless -u "$N" -r 1000 --run-time "${RUNTIME}s" \
  --host "http://127.0.0.1:$PORT" --only-summary --stop-timeout 10 >"$OUT/locust.log" 2>&1 &
LOCUST=$!
$BIN/python benchmarks/load/cpu.py --gunicorn-pid "$GUNICORN" --locust-pid "$LOCUST" --database "$LOAD_DB" \
  "$OUT/cpu.csv" &
SAMPLER=$!
wait "$LOCUST" || true
kill "$SAMPLER" 2>/dev/null || true
wait "$SAMPLER" 2>/dev/null || true

echo "== database check"
psql -h 127.0.0.1 -U postgres -d "$LOAD_DB" -Atc "SELECT status, count(*) FROM exam_session GROUP BY status ORDER BY 1" \
  | tee "$OUT/sessions.txt"
echo "== report ($OUT/report.md)"
$BIN/python benchmarks/load/report.py "$OUT"
echo "machine: $(nproc) cores; load average before/after: $(cut -d' ' -f1-3 /proc/loadavg)"
