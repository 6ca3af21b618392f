#!/usr/bin/env bash
# Fuzzes the decoders of stored bytes with libFuzzer and AddressSanitizer: the shard reader, the
# dataset manifest, the tokenizer file, a checkpoint's parts, the training config and safetensors
# model files (the targets
# of Fuzz/descent-fuzz/FuzzTargets.swift). Each target starts from its seeds in Fuzz/Corpus/TARGET
# and runs --runs inputs; new inputs it finds go to $WORK/corpus/TARGET, never into the
# repository. A crash leaves its input as $WORK/crash-TARGET-* and fails the script; replay it with
#   DESCENT_FUZZ_TARGET=TARGET .build/fuzz/release/descent-fuzz $WORK/crash-TARGET-…
#
# Usage: scripts/fuzz.sh [TARGET ...] [--runs N] [--seeds]
#   TARGET   shard, manifest, tokenizer, checkpoint, config, safetensors (default: all)
#   --runs   inputs per target (default 1000000)
#   --seeds  rewrite the checkpoint seeds (the harness's valid parts) in Fuzz/Corpus/checkpoint
# Environment: WORK (default /tmp/descent-fuzz).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=1000000; seeds=0; targets=()
while [[ $# -gt 0 ]]; do
    case "$1" in
        --runs) runs="$2"; shift 2 ;;
        --seeds) seeds=1; shift ;;
        -h|--help) sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
        *) targets+=("$1"); shift ;;
    esac
done
[[ ${#targets[@]} -gt 0 ]] || targets=(shard manifest tokenizer checkpoint config safetensors)
work="${WORK:-/tmp/descent-fuzz}"; mkdir -p "$work"
# Two facts of swiftc 6.3 (measured with objdump: no __sancov sections otherwise): SwiftPM passes
# the two sanitizers to library modules as two flags, and the second replaces the first, so the
# combined flag is passed again (last wins); and whole-module optimization drops the coverage
# instrumentation, so modules are optimized file by file here.
swift build -c release --sanitize fuzzer --sanitize address -Xswiftc -sanitize=fuzzer,address \
    -Xswiftc -no-whole-module-optimization --product descent-fuzz --build-path .build/fuzz >&2
fuzzer=.build/fuzz/release/descent-fuzz
# Swift's own crash handler would trip AddressSanitizer (../shared/SWIFT-NOTES.md).
export SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0
if [[ $seeds == 1 || -z $(ls -A Fuzz/Corpus/checkpoint 2>/dev/null) ]]; then
    mkdir -p Fuzz/Corpus/checkpoint
    DESCENT_FUZZ_TARGET=checkpoint DESCENT_FUZZ_WRITE_SEEDS=Fuzz/Corpus/checkpoint "$fuzzer" >/dev/null 2>&1 || true
fi
echo "cpu: $(lscpu | sed -n 's/^Model name:[[:space:]]*//p'), $(nproc) threads; $runs inputs per target"
status=0
for target in "${targets[@]}"; do
    case "$target" in
        shard) max=4096 ;; checkpoint) max=8192 ;; *) max=4096 ;;
    esac
    mkdir -p "$work/corpus/$target"
    log="$work/$target.log"
    start=$(date +%s)
    if DESCENT_FUZZ_TARGET=$target "$fuzzer" -runs="$runs" -max_len=$max -dict=Fuzz/json.dict -print_final_stats=1 \
        -artifact_prefix="$work/crash-$target-" "$work/corpus/$target" "Fuzz/Corpus/$target" >"$log" 2>&1; then
        result=ok
    else
        result="CRASH (see $log)"; status=1
    fi
    executed=$(sed -n 's/^stat::number_of_executed_units:[[:space:]]*//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec:[[:space:]]*//p' "$log" | tail -1)
    printf '%-11s %s: %s inputs in %d s (%s/s), corpus %d files\n' "$target" "$result" "${executed:-?}" $(($(date +%s) - start)) \
        "${rate:-?}" "$(ls "$work/corpus/$target" | wc -l)"
done
exit $status
