#!/usr/bin/env bash
# Mutation testing: cargo-mutants breaks the code one small, realistic way
# at a time (a `<` for a `<=`, a function that returns a default) and runs
# the tests that should notice. A mutant the tests miss is a line no test
# checks. Not in CI (hours on two cores for every module); run it on what
# you change.
#
# Usage: scripts/mutants.sh [GROUP...] [-- CARGO-MUTANTS ARGS...]
#   GROUP: units text address save model engine (default: all of them, in
#          that order, each with the test targets that exercise it)
#   e.g.   scripts/mutants.sh units address
#          scripts/mutants.sh engine -- --shard 1/4
#          git diff main > /tmp/change.diff && scripts/mutants.sh -- --in-diff /tmp/change.diff
#
# Mutants that cannot be told apart from the original (equivalent ones) are
# listed, each with its reason, in .cargo/mutants.toml, which cargo-mutants
# reads. Results go to target/mutants/GROUP/mutants.out (caught.txt,
# missed.txt, unviable.txt, timeout.txt); a line per group sums them up.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo-mutants >/dev/null 2>&1; then
    cargo install cargo-mutants --locked
fi

groups=()
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
    groups+=("$1")
    shift
done
[ "${1:-}" = "--" ] && shift
extra=("$@")
[ ${#groups[@]} -gt 0 ] || groups=(units text address save model engine)

# The files of each group, and the test targets that check them.
files_of() {
    case $1 in
        units) echo "src/units.rs" ;;
        text) echo "src/text/*.rs" ;;
        address) echo "src/address.rs" ;;
        save) echo "src/report/save.rs" ;;
        model) echo "src/model/download.rs src/model/mod.rs src/model/throughput.rs src/model/state_index.rs" ;;
        engine) echo "src/engine/*.rs" ;;
        *) echo "unknown group $1" >&2; exit 2 ;;
    esac
}
tests_of() {
    case $1 in
        units) echo "--lib" ;;
        # The property tests count controls in random pieces and parse
        # random addresses against the sanitiser and the printer.
        text | address) echo "--lib --test properties" ;;
        save) echo "--lib --test cli" ;;
        model) echo "--lib --test properties" ;;
        engine) echo "--lib --test engine --test clocks" ;;
    esac
}

summary=()
for group in "${groups[@]}"; do
    args=()
    for file in $(files_of "$group"); do
        args+=(--file "$file")
    done
    out="target/mutants/$group"
    mkdir -p "$out"
    echo "== $group: $(files_of "$group") with tests $(tests_of "$group")"
    # A mutant's tests may take far longer than the clean run's (a timeout
    # that never fires waits out PATIENCE): 20 s at least.
    # shellcheck disable=SC2046
    cargo mutants "${args[@]}" --output "$out" --minimum-test-timeout 20 \
        --profile mutants "${extra[@]}" -- $(tests_of "$group") || true
    count() { [ -f "$out/mutants.out/$1.txt" ] && wc -l <"$out/mutants.out/$1.txt" || echo 0; }
    line="$group: caught $(count caught), missed $(count missed), unviable $(count unviable), timeout $(count timeout)"
    summary+=("$line")
    echo "$line"
    if [ -s "$out/mutants.out/missed.txt" ]; then
        sed 's/^/  missed: /' "$out/mutants.out/missed.txt"
    fi
done
echo "== summary"
printf '%s\n' "${summary[@]}"
