#!/usr/bin/env bash
# fuzz.sh SECONDS: `make fuzz` for SECONDS, as one test of `make test` (tests/runtime/fuzz.test):
# build-fuzz/ is built or brought up to date (clang, libFuzzer, ASan, UBSan) and the front
# end fuzzed from the seed corpus. Prints "fuzz: no crash in N executions (...)", or, when
# libFuzzer stopped on an input, that input's path, the sanitizer's summary and how to
# replay it; the whole log stays in build-fuzz/fuzz-test.log.
set -u
cd "$(dirname "$0")/../../.."
seconds=${1:-60}
log=build-fuzz/fuzz-test.log
mkdir -p build-fuzz
# our own make, not a job of the one running `make test`
unset MAKEFLAGS MFLAGS MAKELEVEL
start=$SECONDS
make -j"$(nproc)" fuzz FUZZ_SECONDS="$seconds" >"$log" 2>&1
rc=$?
if [ "$rc" -eq 0 ]; then
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	echo "fuzz: no crash in ${execs:-?} executions (build and run: $((SECONDS - start)) s)"
	exit 0
fi
echo "fuzz: failed (make fuzz: exit $rc), log: $log"
input=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
if [ -n "$input" ]; then
	echo "fuzz: the input is $input"
	echo "fuzz: replay it: build-fuzz/fuzz_check $input; keep it: cp $input tests/fuzz/regressions/"
fi
grep -E '^SUMMARY|^==[0-9]+==ERROR|runtime error:|^ERROR: libFuzzer|error:|Error [0-9]' "$log" | head -8
exit 1
