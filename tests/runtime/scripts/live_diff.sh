#!/usr/bin/env bash
# live_diff.sh ARGS...: run Debian's bpftrace and strobe ($STROBE) with the
# same arguments and compare stdout+stderr and the exit status; prints
# "identical", else both statuses and the diff (exit 1). bpftrace's
# RLIMIT_MEMLOCK notice (it cannot raise the limit here) is not output.
# LIVE_DIFF_USR1=1: the program prints "ready" once set up; each is then sent
# SIGUSR1 and must end by itself.
set -u
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
run() { # run NAME CMD...: output in $d/NAME, status in $d/NAME.rc
	local name=$1
	shift
	if [ "${LIVE_DIFF_USR1:-0}" = 1 ]; then
		"$@" >"$d/$name" 2>&1 &
		local pid=$!
		for _ in $(seq 200); do grep -q '^ready$' "$d/$name" && break; sleep 0.05; done
		kill -USR1 $pid
		wait $pid
	else
		"$@" >"$d/$name" 2>&1
	fi
	echo $? >"$d/$name.rc"
	grep -v 'RLIMIT_MEMLOCK' "$d/$name" >"$d/$name.f"
}
run bpftrace bpftrace "$@"
run strobe "$STROBE" "$@"
if cmp -s "$d/bpftrace.f" "$d/strobe.f" && cmp -s "$d/bpftrace.rc" "$d/strobe.rc"; then
	echo identical
	exit 0
fi
echo "exit status: bpftrace $(cat "$d/bpftrace.rc"), strobe $(cat "$d/strobe.rc")"
diff "$d/bpftrace.f" "$d/strobe.f"
exit 1
