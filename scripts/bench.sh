#!/usr/bin/env bash
# Times poetry-dash against the minimal tokio client (the floor) and the
# Python port of the tutorial's Twisted client (the peer) on the workloads of
# ../shared/bench (W1 1000 x 4 KiB paced 256 B/10 ms, W2 4 x 256 MiB at full
# speed, W3 10000 x 4 KiB paced 1 KiB/50 ms, W4 W4_COUNT x 256 B over 1000
# ports at full speed through -j 1000), with `poetry-dash serve` as the
# server; and the million-row case (M1: 1,000,000 addresses behind -j 10 on
# ten stalled servers: peak memory, and key press to redrawn screen). poetry-dash runs twice: headless (--plain -q) and as the dashboard
# in a real terminal (tmux). Prints a table of medians and ratios; also
# measures the idle dashboard's CPU over 10 s and key press to redrawn
# screen under W3.
#
#   scripts/bench.sh                      # all workloads, 5 timed runs each (medians)
#   RUNS=3 WORKLOADS="w2" scripts/bench.sh
#   CLIENTS="minimal poetry-dash" scripts/bench.sh
#   WORKLOADS="w4 m1" CLIENTS="minimal poetry-dash dashboard" scripts/bench.sh
#
# Needs: cargo, python3, tmux, GNU time (installed with apt-get if missing).
# Writes only under $WORK (default ${TMPDIR:-/tmp}/poetry-dash-bench).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PEERS=${PEERS:-$ROOT/../shared/bench/peers}
WORK=${WORK:-${TMPDIR:-/tmp}/poetry-dash-bench}
RUNS=${RUNS:-5}
WORKLOADS=${WORKLOADS:-"w1 w2 w3 w4 m1"}
W4_COUNT=${W4_COUNT:-100000}
M1_COUNT=${M1_COUNT:-1000000}
CLIENTS=${CLIENTS:-"minimal twisted poetry-dash dashboard"}
# Below the ephemeral range (32768 and up), so no client connection holds
# one of the ports W3 needs.
BASE_PORT=${BASE_PORT:-12000}
PIN=${PIN:-1}
mkdir -p "$WORK"
ulimit -n "$(ulimit -Hn)"

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
# Server on CPU 1, client on CPU 0, so they do not compete for a core.
if [ "$PIN" = 1 ] && command -v taskset >/dev/null; then
    ON_SERVER_CPU=(taskset -c 1); ON_CLIENT_CPU=(taskset -c 0)
else
    ON_SERVER_CPU=(); ON_CLIENT_CPU=()
fi

# CPU time is read twice: from /usr/bin/time (user+sys, which the kernel
# samples in clock ticks, coarse for runs of a tenth of a second) and, where
# `perf stat` works, as task-clock (exact).
if perf stat -x, -e task-clock -o /dev/null true 2>/dev/null; then
    PERF=(perf stat -x, -e task-clock -o)
else
    PERF=()
fi
perf_prefix() { [ ${#PERF[@]} -gt 0 ] && printf '%s ' "${PERF[@]}" "$1.perf" --; }

# --- set-up ---------------------------------------------------------------
if [ ! -x /usr/bin/time ]; then
    log "installing GNU time"; apt-get install -y -qq time >/dev/null
fi
command -v tmux >/dev/null || { log "installing tmux"; apt-get install -y -qq tmux >/dev/null; }
log "building poetry-dash (release)"
(cd "$ROOT" && cargo build --release --locked -q)
DASH=$ROOT/target/release/poetry-dash
if [[ " $CLIENTS " == *" minimal "* ]]; then
    log "building the minimal client"
    CARGO_TARGET_DIR=$WORK/target cargo build --release --locked -q --manifest-path "$PEERS/minimal/Cargo.toml"
fi
MINIMAL=$WORK/target/release/poetry-minimal-client
if [[ " $CLIENTS " == *" twisted "* ]]; then
    if ! "$WORK/venv/bin/python" -c 'import twisted' 2>/dev/null; then
        log "creating a venv with Twisted"
        python3 -m venv "$WORK/venv" && "$WORK/venv/bin/pip" install -q twisted
    fi
fi
# A 4096-byte poem and a 256 MiB one, cut from the bundled Donne.
python3 - "$ROOT/assets/poems/ecstasy.txt" "$WORK" <<'PY'
import sys, os
text = open(sys.argv[1], 'rb').read()
def cut(size):
    return (text * (size // len(text) + 1))[:size]
open(os.path.join(sys.argv[2], 'poem-4k.txt'), 'wb').write(cut(4096))
open(os.path.join(sys.argv[2], 'poem-256.txt'), 'wb').write(cut(256))
big = os.path.join(sys.argv[2], 'poem-256m.txt')
if not os.path.exists(big) or os.path.getsize(big) != 256 << 20:
    open(big, 'wb').write(cut(256 << 20))
PY

# --- servers --------------------------------------------------------------
SERVERS=()
stop_servers() {
    for pid in "${SERVERS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${SERVERS[@]}"; do wait "$pid" 2>/dev/null || true; done
    SERVERS=()
}
trap 'stop_servers; tmux -L poetry-dash-bench kill-server 2>/dev/null || true' EXIT

# serve FILE COUNT NUM_BYTES DELAY: as many processes as the fd limit needs.
serve() {
    local file=$1 count=$2 num_bytes=$3 delay=$4
    local per=$(( ($(ulimit -Hn) - 100) / 2 )); [ "$per" -gt 5000 ] && per=5000
    local port=$BASE_PORT left=$count i=0
    while [ "$left" -gt 0 ]; do
        local n=$(( left < per ? left : per ))
        "${ON_SERVER_CPU[@]}" "$DASH" serve "$file" --iface 127.0.0.1 --port "$port" --count "$n" \
            --num-bytes "$num_bytes" --delay "$delay" -q > "$WORK/server.$i.out" 2>&1 &
        SERVERS+=($!)
        local waited=0
        until [ "$(grep -c '^Serving' "$WORK/server.$i.out" 2>/dev/null || true)" -ge "$n" ]; do
            sleep 0.1; waited=$((waited + 1))
            [ "$waited" -lt 300 ] || { log "server did not start"; cat "$WORK/server.$i.out"; exit 1; }
        done
        port=$((port + n)); left=$((left - n)); i=$((i + 1))
    done
    seq "$BASE_PORT" $((BASE_PORT + count - 1)) > "$WORK/addresses"
}

# repeat_addresses TOTAL: the ports served, over and over, TOTAL lines.
repeat_addresses() {
    python3 - "$WORK/addresses" "$1" <<'PY'
import sys
ports = open(sys.argv[1]).read().split()
total = int(sys.argv[2])
with open(sys.argv[1], 'w') as out:
    for i in range(total):
        out.write(ports[i % len(ports)] + '\n')
PY
}

# --- clients --------------------------------------------------------------
# run_client NAME OUTFILE: runs once, writes "wall user sys maxrss_kb" to OUTFILE.
run_client() {
    local name=$1 out=$2 expected=$3
    case $name in
    minimal)
        "${ON_CLIENT_CPU[@]}" $(perf_prefix "$out") /usr/bin/time -f '%e %U %S %M' -o "$out" "$MINIMAL" $JOBS "@$WORK/addresses" > "$WORK/client.out" 2>"$WORK/client.err"
        grep -q "^Got $expected poems" "$WORK/client.out" ;;
    twisted)
        "${ON_CLIENT_CPU[@]}" $(perf_prefix "$out") /usr/bin/time -f '%e %U %S %M' -o "$out" "$WORK/venv/bin/python" "$PEERS/twisted_client4.py" --quiet "@$WORK/addresses" > "$WORK/client.out" 2>"$WORK/client.err"
        grep -q "^Got $expected poems" "$WORK/client.out" ;;
    poetry-dash)
        "${ON_CLIENT_CPU[@]}" $(perf_prefix "$out") /usr/bin/time -f '%e %U %S %M' -o "$out" "$DASH" --plain -q --max-bytes 0 $JOBS "@$WORK/addresses" > /dev/null 2>"$WORK/client.err"
        grep -q "^Got $expected poems" "$WORK/client.err" ;;
    dashboard)
        rm -f "$out" "$WORK/client.err"
        tmux -L poetry-dash-bench -f /dev/null new-session -d -s bench -x 200 -y 50 \
            "${ON_CLIENT_CPU[*]} $(perf_prefix "$out") /usr/bin/time -f '%e %U %S %M' -o '$out.tmp' '$DASH' --tui --exit-when-done --stats --max-bytes 0 $JOBS '@$WORK/addresses' 2>'$WORK/client.err'; mv '$out.tmp' '$out'"
        local waited=0
        until [ -s "$out" ]; do
            sleep 0.1; waited=$((waited + 1))
            [ "$waited" -lt 1200 ] || { log "dashboard did not finish"; return 1; }
        done
        tmux -L poetry-dash-bench kill-server 2>/dev/null || true
        grep -q "^Got $expected poems" "$WORK/client.err" ;;
    esac
}

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# M1: a million addresses queued behind -j 10 on ten stalled servers (they
# accept and send nothing, so ten downloads run and the rest wait). Peak
# RSS headless and in the dashboard, and key press to redrawn screen while
# keys are typed for 15 s (every 20 ms): moves, sort changes and filter
# changes.
million() {
    "${ON_SERVER_CPU[@]}" "$DASH" serve "$WORK/poem-256.txt" --iface 127.0.0.1 --port "$BASE_PORT" --count 10 \
        --fault stall -q > "$WORK/server.m1.out" 2>&1 &
    SERVERS+=($!)
    sleep 1
    seq "$BASE_PORT" $((BASE_PORT + 9)) > "$WORK/addresses"
    repeat_addresses "$M1_COUNT"
    if [[ " $CLIENTS " == *" poetry-dash "* ]]; then
        # Headless: cancelled by SIGINT after 10 s (nothing would end).
        /usr/bin/time -f '%e %U %S %M' -o "$WORK/m1.headless.time" "$DASH" --plain -q -j 10 "@$WORK/addresses" \
            > /dev/null 2>"$WORK/m1.headless.err" &
        local pid=$!; sleep 10; pkill -INT -P "$pid" poetry-dash 2>/dev/null || kill -INT "$pid"; wait "$pid" || true
        M1_HEADLESS_RSS=$(( $(awk '{print $4}' "$WORK/m1.headless.time" | tail -1) / 1024 ))
        log "m1 headless: peak RSS ${M1_HEADLESS_RSS} MiB"
    fi
    if [[ " $CLIENTS " == *" dashboard "* ]]; then
        rm -f "$WORK/m1.time"
        tmux -L poetry-dash-bench -f /dev/null new-session -d -s bench -x 200 -y 50 \
            "/usr/bin/time -f '%e %U %S %M' -o '$WORK/m1.time.tmp' '$DASH' --tui --stats -j 10 '@$WORK/addresses' 2>'$WORK/m1.err'; mv '$WORK/m1.time.tmp' '$WORK/m1.time'"
        sleep 3
        # Every kind of key a person presses on a big table: moving (j k G
        # g), and changing the sort (s: the next order) and
        # the filter (f), each of which reorders or refilters a million rows.
        local end=$((SECONDS + 15))
        while [ "$SECONDS" -lt "$end" ]; do
            for key in j k s j k f G g; do
                tmux -L poetry-dash-bench send-keys -t bench "$key" 2>/dev/null || true; sleep 0.02
            done
        done
        # q asks first while downloads are going; y says yes.
        tmux -L poetry-dash-bench send-keys -t bench q
        sleep 0.3
        tmux -L poetry-dash-bench send-keys -t bench y
        local waited=0
        until [ -s "$WORK/m1.time" ]; do
            sleep 0.1; waited=$((waited + 1)); [ "$waited" -lt 600 ] || break
        done
        tmux -L poetry-dash-bench kill-server 2>/dev/null || true
        M1_DASH_RSS=$(( $(awk '{print $4}' "$WORK/m1.time" 2>/dev/null | tail -1 || echo 0) / 1024 ))
        M1_KEYS=$(grep '^stats:' "$WORK/m1.err" || echo "stats: none")
        log "m1 dashboard: peak RSS ${M1_DASH_RSS} MiB; ${M1_KEYS}"
    fi
    stop_servers
}

RESULTS=$WORK/results.tsv
: > "$RESULTS"
for workload in $WORKLOADS; do
    JOBS=""
    case $workload in
    w1) serve "$WORK/poem-4k.txt" 1000 256 0.01; expected=1000; bytes=$((1000 * 4096)); title="W1 1000 x 4 KiB, 256 B/10 ms" ;;
    w2) serve "$WORK/poem-256m.txt" 4 1048576 0; expected=4; bytes=$((4 << 28)); title="W2 4 x 256 MiB, full speed" ;;
    w3) serve "$WORK/poem-4k.txt" 10000 1024 0.05; expected=10000; bytes=$((10000 * 4096)); title="W3 10000 x 4 KiB, 1 KiB/50 ms" ;;
    w4) serve "$WORK/poem-256.txt" 1000 256 0; repeat_addresses "$W4_COUNT"; JOBS="-j 1000"
        expected=$W4_COUNT; bytes=$((W4_COUNT * 256)); title="W4 $W4_COUNT x 256 B over 1000 ports, -j 1000" ;;
    m1) million; continue ;;
    *) log "unknown workload $workload"; exit 2 ;;
    esac
    # Runs alternate between clients (run 1 of each, then run 2 of each...),
    # so that a machine that gets slower or faster over a minute moves every
    # client's figures alike instead of skewing the ratios.
    for run in $(seq 0 "$RUNS"); do
        for client in $CLIENTS; do
            # The Twisted peer has no -j: W4 would open every connection at once.
            [ "$workload" = w4 ] && [ "$client" = twisted ] && continue
            t=$WORK/$workload.$client.$run.time
            if run_client "$client" "$t" "$expected"; then
                read -r wall user sys rss < <(tail -1 "$t")
                [ "$run" = 0 ] && { log "$workload $client warm-up: wall ${wall}s"; continue; }
                log "$workload $client run $run: wall ${wall}s cpu $(echo "$user + $sys" | bc)s rss $((rss / 1024))MiB"
                task_clock=$(awk -F, '/task-clock/ {printf "%.4f", $1 / 1000}' "$t.perf" 2>/dev/null || true)
                printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$workload" "$title" "$client" "$wall" "$(echo "$user + $sys" | bc)" "$rss" "$bytes" "${task_clock:--}" >> "$RESULTS"
            else
                log "$workload $client run $run FAILED: $(tail -3 "$WORK/client.err" 2>/dev/null | tr '\n' ' ')"
            fi
        done
    done
    # Key press to redrawn screen, under W3: j and k typed every 20 ms.
    if [ "$workload" = w3 ] && [[ " $CLIENTS " == *" dashboard "* ]]; then
        rm -f "$WORK/keys.time"
        tmux -L poetry-dash-bench -f /dev/null new-session -d -s bench -x 200 -y 50 \
            "'$DASH' --tui --exit-when-done --stats --max-bytes 0 '@$WORK/addresses' 2>'$WORK/keys.err'; touch '$WORK/keys.time'"
        until [ -e "$WORK/keys.time" ]; do
            tmux -L poetry-dash-bench send-keys -t bench j 2>/dev/null || true; sleep 0.02
            tmux -L poetry-dash-bench send-keys -t bench k 2>/dev/null || true; sleep 0.02
        done
        tmux -L poetry-dash-bench kill-server 2>/dev/null || true
        KEYS_W3=$(grep '^stats:' "$WORK/keys.err" || echo "stats: none")
    fi
    stop_servers
done

# The idle dashboard: every download ended, nothing pressed, for 10 s.
if [[ " $CLIENTS " == *" dashboard "* ]]; then
    serve "$WORK/poem-4k.txt" 3 4096 0
    tmux -L poetry-dash-bench -f /dev/null new-session -d -s bench -x 200 -y 50 "'$DASH' --tui '@$WORK/addresses'"
    sleep 1
    pid=$(pgrep -n -f "poetry-dash --tui @$WORK/addresses" || true)
    ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
    before=$(ticks "$pid"); sleep 10; after=$(ticks "$pid")
    IDLE_CPU=$(echo "scale=3; ($after - $before) / $(getconf CLK_TCK)" | bc)
    tmux -L poetry-dash-bench kill-server 2>/dev/null || true
    stop_servers
fi

# --- report ---------------------------------------------------------------
python3 - "$RESULTS" <<'PY'
import sys, statistics as st, collections
rows = collections.defaultdict(list)
titles = {}
for line in open(sys.argv[1]):
    w, title, client, wall, cpu, rss, nbytes, task = line.rstrip('\n').split('\t')
    titles[w] = title
    rows[(w, client)].append((float(wall), float(cpu), int(rss) / 1024, int(nbytes),
                              float(task) if task not in ('', '-') else None))
def med(w, c, i):
    v = [x[i] for x in rows.get((w, c), []) if x[i] is not None]
    return st.median(v) if v else None
print("| workload | client | runs | wall s | CPU s (time) | CPU s (task-clock) | peak RSS MiB | MB/s | CPU vs minimal | task-clock vs minimal | RSS vs minimal | MB/s vs minimal | CPU vs Twisted |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
for w in sorted(titles):
    for c in ["minimal", "twisted", "poetry-dash", "dashboard"]:
        if (w, c) not in rows: continue
        wall, cpu, rss, task = med(w, c, 0), med(w, c, 1), med(w, c, 2), med(w, c, 4)
        mbs = rows[(w, c)][0][3] / 1e6 / wall
        def ratio(a, b): return f"{a / b:.2f}" if a is not None and b else "-"
        mw = med(w, "minimal", 0)
        task_text = f"{task:.3f}" if task is not None else "-"
        print(f"| {titles[w]} | {c} | {len(rows[(w, c)])} | {wall:.2f} | {cpu:.2f} | {task_text} | {rss:.0f} | {mbs:.0f} | "
              f"{ratio(cpu, med(w, 'minimal', 1))} | {ratio(task, med(w, 'minimal', 4))} | {ratio(rss, med(w, 'minimal', 2))} | "
              f"{ratio(mbs, rows[(w, 'minimal')][0][3] / 1e6 / mw) if mw else '-'} | {ratio(cpu, med(w, 'twisted', 1))} |")
PY
[ -n "${KEYS_W3:-}" ] && echo "Dashboard under W3, key press to redrawn screen: ${KEYS_W3#stats: }"
[ -n "${IDLE_CPU:-}" ] && echo "Dashboard idle for 10 s (every download ended): ${IDLE_CPU} s of CPU"
[ -n "${M1_HEADLESS_RSS:-}" ] && echo "M1 $M1_COUNT addresses behind -j 10, headless: peak RSS ${M1_HEADLESS_RSS} MiB"
[ -n "${M1_DASH_RSS:-}" ] && echo "M1 $M1_COUNT addresses behind -j 10, dashboard: peak RSS ${M1_DASH_RSS} MiB; key press to redrawn screen: ${M1_KEYS#stats: }"
exit 0
