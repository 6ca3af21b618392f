#!/usr/bin/env bash
# Fault injection: the promises about crashes, full disks and damaged bytes, checked end to end
# on the release executable.
#
#   kills       trains an MLP on names (configs/names-mlp.json's shape, checkpoints every 200
#               steps) and sends SIGKILL at seeded random moments, N times; after each kill
#               `descent verify --skip-data` must pass (PRAGMA integrity_check, every checkpoint's
#               checksums and cross-checks) and `train --resume` continues. The run's final
#               weights must equal an uninterrupted run's, bit for bit (their SHA-256).
#   disk-full   (root only: a small tmpfs; skipped with a message otherwise) the database on a
#               tmpfs too small for the run: training must fail with a clear error, the earlier
#               checkpoints must verify, and once the tmpfs is grown the resume must end with the
#               reference weights.
#   corruption  (needs the sqlite3 shell; skipped with a message otherwise) on copies of the
#               reference database: one flipped byte in each kind of checkpoint blob, a truncated
#               blob and a missing blob in the final checkpoint; each must be reported by
#               `verify`, refused by `sample --checkpoint STEP`, passed over with a warning by
#               `sample`, and passed over by `train --resume`, which must again end with the
#               reference weights. Then a flipped byte in a shard: `verify` and `train` must name
#               the shard.
#
# Usage: scripts/fault-injection.sh [--kills N] [--short] [--seed S] [--only kills|disk-full|corruption]
#   --short   10 kills and the shorter run (well under a minute on 2 cores, the build aside)
# Environment: WORK (default /tmp/descent-fault-injection), DESCENT (an executable to use
# instead of building .build/release/descent).
set -euo pipefail
cd "$(dirname "$0")/.."

kills=50; short=0; seed=20261202; only=all
while [[ $# -gt 0 ]]; do
    case "$1" in
        --kills) kills="$2"; shift 2 ;;
        --short) short=1; kills=10; shift ;;
        --seed) seed="$2"; shift 2 ;;
        --only) only="$2"; shift 2 ;;
        -h|--help) sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
    esac
done
RANDOM=$seed
work="${WORK:-/tmp/descent-fault-injection}"
rm -rf "$work"; mkdir -p "$work"
if [[ -n ${DESCENT:-} ]]; then
    descent="$(realpath "$DESCENT")"
else
    swift build -c release --product descent >&2
    descent="$PWD/.build/release/descent"
fi
export SWIFT_BACKTRACE=enable=no
cd "$work"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
pass() { echo "ok: $*"; }

# A names corpus: the shared one when present, otherwise a generated one of the same kind.
if [[ -f "$OLDPWD/../shared/data/names.txt" ]]; then
    cp "$OLDPWD/../shared/data/names.txt" names.txt
else
    awk 'BEGIN { srand(7); s = "an na el li ma ra jo ko ti sa be ol ya mi"; n = split(s, p, " ");
                 for (i = 0; i < 20000; i++) { w = ""; k = 1 + int(rand() * 3); for (j = 0; j < k; j++) w = w p[1 + int(rand() * n)]; print w } }' > names.txt
fi
"$descent" prepare names.txt --out data/names --split-by lines >/dev/null
# Long enough that every kill lands inside a session (a session lasts at most 0.6 s; 2 Zen 5 cores
# train 4,000-17,500 steps a second, as busy as the machine is), and a checkpoint every 200 steps
# so that many kills land inside a checkpoint's transaction.
steps=$((kills * 12000 + 1000))
cat > run.json <<EOF
{"data": {"dir": "data/names"},
 "model": {"type": "mlp", "contextLength": 3, "embeddingSize": 10, "hiddenSize": 200},
 "optimizer": {"type": "adamw", "learningRate": 0.003},
 "training": {"maxSteps": $steps, "batchSize": 32, "evalInterval": 1000, "evalBatches": 4,
              "checkpointInterval": 200, "logInterval": 100, "keepCheckpoints": 3}}
EOF

weights() {  # weights SHA-256 of run $1's latest checkpoint in database $2
    "$descent" runs --json --db "$2" | tr -d ' \n' | grep -o "\"name\":\"$1\"[^}]*" | grep -o '"weightsSHA256":"[0-9a-f]*"' | cut -d'"' -f4 || true
}

start=$(date +%s%N)
"$descent" train run.json --run reference --db reference.db --quiet >/dev/null 2>&1
reference=$(weights reference reference.db)
echo "reference: $steps steps in $((($(date +%s%N) - start) / 1000000)) ms, weights $reference"

# MARK: kills
if [[ $only == all || $only == kills ]]; then
    db=killed.db
    done_early=0; sent=0
    # The command that resumes the run, or starts it again when the kills came before its first
    # checkpoint. (Run directly, not in a function: a backgrounded function is a subshell, and
    # the kill would hit the subshell instead of descent.)
    next_session() {
        if "$descent" show killed --db "$db" 2>/dev/null | grep -q '^  [0-9]'; then
            session=("$descent" train --resume killed --db "$db" --quiet)
        else
            session=("$descent" train run.json --run killed --db "$db" --overwrite --quiet)
        fi
    }
    for ((kill = 1; kill <= kills; kill++)); do
        next_session
        "${session[@]}" >/dev/null 2>session.err &
        pid=$!
        # A moment in 0.02–0.6 s: startup, training steps, and checkpoint transactions all get hit.
        sleep "0.$(printf '%03d' $((20 + RANDOM % 580)))"
        if kill -0 "$pid" 2>/dev/null; then
            kill -KILL "$pid" 2>/dev/null && sent=$((sent + 1))
            wait "$pid" 2>/dev/null || true
        elif wait "$pid"; then
            done_early=1
        else
            fail "session $kill ended by itself with an error: $(cat session.err)"
            break
        fi
        if [[ -f $db ]] && ! out=$("$descent" verify killed --skip-data --db "$db" 2>&1); then
            # A kill before the run's first row leaves nothing to verify; anything else is a failure.
            grep -q "no run named" <<<"$out" || fail "verify after kill $kill: $out"
        fi
        [[ $done_early == 1 ]] && { echo "note: the run completed after $sent kills, before the $kills asked for"; break; }
    done
    if [[ $done_early == 0 ]]; then
        next_session
        "${session[@]}" >/dev/null 2>session.err || fail "final session after $sent kills: $(cat session.err)"
    fi
    got=$(weights killed "$db")
    if [[ $got == "$reference" ]]; then pass "$sent SIGKILLs, integrity_check and checkpoints verified after each, final weights bitwise equal to the uninterrupted run"
    else fail "after the kills the weights are $got, the uninterrupted run's $reference"; fi
fi

# MARK: disk full
if [[ $only == all || $only == disk-full ]]; then
    if [[ $(id -u) != 0 ]]; then
        echo "skipped: disk-full needs root to mount a small tmpfs"
    else
        mnt="$work/tmpfs"; mkdir -p "$mnt"
        # Room for the database with a couple of checkpoints (about 1 MB of log each), not for
        # the whole run's writes.
        mount -t tmpfs -o size=3m tmpfs "$mnt"
        trap 'umount "$mnt" 2>/dev/null || true' EXIT
        set +e
        out=$("$descent" train run.json --run full --db "$mnt/full.db" --quiet 2>&1 >/dev/null); code=$?
        set -e
        if [[ $code != 0 ]] && grep -qi "disk is full" <<<"$out" && [[ $(wc -l <<<"$out") == 1 ]]; then
            pass "disk full: exit $code with one line: $out"
        else
            fail "disk full: exit $code, output: $out"
        fi
        mount -o remount,size=512m "$mnt"
        kept=$("$descent" show full --db "$mnt/full.db" | grep -c '^  [0-9]' || true)
        if [[ $kept -gt 0 ]] && "$descent" verify full --skip-data --db "$mnt/full.db" >/dev/null 2>&1; then pass "disk full: the $kept earlier checkpoint(s) verify"
        else fail "disk full: verify after the failure: $("$descent" verify full --skip-data --db "$mnt/full.db" 2>&1)"; fi
        "$descent" train --resume full --db "$mnt/full.db" --quiet >/dev/null 2>&1 || fail "disk full: resume once space is free"
        got=$(weights full "$mnt/full.db")
        if [[ $got == "$reference" ]]; then pass "disk full: resumed once space was free, weights bitwise equal to the uninterrupted run"
        else fail "disk full: weights $got after the resume, reference $reference"; fi
        umount "$mnt"; trap - EXIT
    fi
fi

# MARK: corruption
if [[ $only == all || $only == corruption ]]; then
    if ! command -v sqlite3 >/dev/null; then
        echo "skipped: corruption needs the sqlite3 shell (apt-get install sqlite3)"
    else
        final=$steps
        # damage KIND PART DB: flip, truncate or delete one blob of the final checkpoint.
        damage() {
            local where="name = '$2' AND checkpoint_id = (SELECT MAX(id) FROM checkpoints)"
            case "$1" in
                missing) sqlite3 "$3" "DELETE FROM checkpoint_blobs WHERE $where" ;;
                *)
                    sqlite3 "$3" "SELECT writefile('blob.bin', data) FROM checkpoint_blobs WHERE $where" >/dev/null
                    local size; size=$(stat -c %s blob.bin)
                    if [[ $1 == flip ]]; then
                        local at=$((size / 2)) byte
                        byte=$(od -An -tu1 -j "$at" -N1 blob.bin | tr -d ' ')
                        printf "$(printf '\\%03o' $((byte ^ 0x10)))" | dd of=blob.bin bs=1 seek="$at" conv=notrunc status=none
                    else
                        truncate -s $((size / 3)) blob.bin
                    fi
                    sqlite3 "$3" "UPDATE checkpoint_blobs SET data = readfile('blob.bin') WHERE $where" ;;
            esac
        }
        for case in flip:weights flip:optimizer flip:state flip:model flip:config flip:tokenizer truncate:weights missing:optimizer; do
            kind=${case%%:*}; part=${case#*:}
            db="corrupt-$kind-$part.db"; cp reference.db "$db"
            damage "$kind" "$part" "$db"
            label="$kind $part"
            vout=$("$descent" verify reference --skip-data --db "$db" 2>&1) && fail "$label: verify passed" \
                || { grep -q "checkpoint $final: DAMAGED" <<<"$vout" && pass "$label: verify reports checkpoint $final as damaged" || fail "$label: verify said $vout"; }
            sout=$("$descent" sample reference --checkpoint "$final" --db "$db" 2>&1) && fail "$label: sample --checkpoint $final worked" \
                || { [[ $(wc -l <<<"$sout") == 1 ]] && grep -q "step $final is damaged" <<<"$sout" && pass "$label: --checkpoint $final refused: ${sout#error: }" || fail "$label: sample --checkpoint said $sout"; }
            wout=$("$descent" sample reference --db "$db" 2>&1 >/dev/null) && grep -q "warning: the latest checkpoint, step $final, is damaged" <<<"$wout" \
                && pass "$label: sample falls back with a warning" || fail "$label: sample said $wout"
            "$descent" train --resume reference --db "$db" --quiet >/dev/null 2>&1 || fail "$label: resume"
            got=$(weights reference "$db")
            [[ $got == "$reference" ]] && pass "$label: resume passed over it and ended bitwise equal" || fail "$label: resumed weights $got"
        done
        shard=$(ls data/names/train_*.bin.gz | head -1)
        cp "$shard" shard.bak
        size=$(stat -c %s "$shard"); at=$((size / 2))
        byte=$(od -An -tu1 -j "$at" -N1 "$shard" | tr -d ' ')
        printf "$(printf '\\%03o' $((byte ^ 0x01)))" | dd of="$shard" bs=1 seek="$at" conv=notrunc status=none
        vout=$("$descent" verify reference --db reference.db 2>&1) && fail "shard flip: verify passed" \
            || { grep -q "$(basename "$shard")" <<<"$vout" && pass "shard flip: verify names $(basename "$shard")" || fail "shard flip: verify said $vout"; }
        tout=$("$descent" train run.json --run after-shard-flip --db shard.db 2>&1 >/dev/null) && fail "shard flip: training worked" \
            || { grep -q "$(basename "$shard")" <<<"$tout" && pass "shard flip: train refuses: $(tail -1 <<<"$tout")" || fail "shard flip: train said $tout"; }
        cp shard.bak "$shard"
    fi
fi

echo "fault injection: $([[ $failures == 0 ]] && echo "all passed" || echo "$failures failure(s)") (seed $seed, work in $work)"
[[ $failures == 0 ]]
