#!/usr/bin/env bash
# Regenerate the expected outputs of tests/runtime/diff.test with the reference
# tracer (Debian's bpftrace 0.17): every test with an EXPECT_FILE is run through
# bpftrace instead of strobe, the same way tests/run runs it (PROG, or RUN with
# $STROBE=bpftrace; AFTER and SIGNAL once attached), and its stdout becomes the
# expected file. Review the diff (git diff tests/runtime/expected/diff) before
# committing: the files are the contract.
#   tests/runtime/scripts/gen_diff_expected.sh [NAME-FILTER]
#   DIFF_TEST=tests/runtime/btf_diff.test tests/runtime/scripts/gen_diff_expected.sh   (another test file)
set -u
cd "$(dirname "$0")/../../.."
BUILD=${BUILD:-build}
export STROBE=${BPFTRACE:-bpftrace}
export TESTPROGS="$PWD/$BUILD/tests/progs"
filter=${1:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

gen_one() {
	local name=${T[NAME]} file=${T[EXPECT_FILE]:-}
	[ -z "$file" ] && return
	[ -n "$filter" ] && [[ $name != *$filter* ]] && return
	local cmd
	if [ -n "${T[PROG]:-}" ]; then
		cmd=("$STROBE" -e "${T[PROG]}")
	else
		cmd=(bash -c "${T[RUN]}")
	fi
	local out="$tmp/out" start=$SECONDS timeout=${T[TIMEOUT]:-10}
	__BPFTRACE_NOTIFY_PROBES_ATTACHED=1 "${cmd[@]}" >"$out" 2>"$tmp/err" &
	local pid=$!
	if [ -n "${T[AFTER]:-}${T[SIGNAL]:-}" ]; then
		while ! grep -qs '^__BPFTRACE_NOTIFY_PROBES_ATTACHED$' "$out" "$tmp/err"; do
			kill -0 "$pid" 2>/dev/null || break
			[ $((SECONDS - start)) -ge "$timeout" ] && break
			sleep 0.05
		done
		[ -n "${T[AFTER]:-}" ] && bash -c "${T[AFTER]}" >/dev/null 2>&1
		[ -n "${T[SIGNAL]:-}" ] && kill -"${T[SIGNAL]}" "$pid" 2>/dev/null
	fi
	while kill -0 "$pid" 2>/dev/null; do
		if [ $((SECONDS - start)) -ge "$timeout" ]; then
			kill -INT "$pid"
			sleep 1
			kill -KILL "$pid" 2>/dev/null
		fi
		sleep 0.05
	done
	wait "$pid"
	local rc=$?
	sed -i '/^__BPFTRACE_NOTIFY_PROBES_ATTACHED$/d' "$out"
	mkdir -p "$(dirname "$file")"
	cp "$out" "$file"
	echo "$name -> $file (exit $rc)"
	grep -v -e RLIMIT_MEMLOCK -e ^__BPFTRACE_NOTIFY "$tmp/err" | head -5 | sed 's/^/    /'
}

declare -A T=()
while IFS= read -r line || [ -n "$line" ]; do
	if [ -z "$line" ]; then
		[ -n "${T[NAME]:-}" ] && gen_one
		T=()
		continue
	fi
	[[ $line == \#* ]] && continue
	key=${line%% *}
	val=${line#* }
	[ "$key" = "$line" ] && val=""
	if [ -n "${T[$key]:-}" ]; then T[$key]+=$'\n'"$val"; else T[$key]=$val; fi
done <"${DIFF_TEST:-tests/runtime/diff.test}"
[ -n "${T[NAME]:-}" ] && gen_one
