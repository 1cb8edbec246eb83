#!/usr/bin/env bash
# leftover_signal.sh SIG [SIG...]: trace a uprobe, a tracepoint and an interval
# with a map of a unique name, send the signals in turn once attached, wait for
# strobe, then print its exit status, what it printed and how many of its BPF
# maps, uprobe_events and strobe processes are left (bpfmaps: a map left is
# what a program or link left would hold). PIPE: stdout is a pipe whose reader
# has gone (SIGPIPE at the next write of a tick).
set -u
map=lf_$$
dir=$(mktemp -d)
cp "$TESTPROGS/uprobe_target" "$dir/victim"
prog="uprobe:$dir/victim:main { @$map = count(); } tracepoint:syscalls:sys_enter_getppid { @$map = count(); } interval:ms:50 { @$map = count(); printf(\"tick\\n\"); }"
if [ "$1" = PIPE ]; then
	# the reader leaves after the notification line; the next tick's write gets SIGPIPE
	__BPFTRACE_NOTIFY_PROBES_ATTACHED=1 $STROBE -e "$prog" 2>"$dir/err" | head -1 >/dev/null
	echo "status: ${PIPESTATUS[0]}"
else
	__BPFTRACE_NOTIFY_PROBES_ATTACHED=1 $STROBE -e "$prog" >"$dir/out" 2>&1 &
	pid=$!
	until grep -q NOTIFY "$dir/out" || ! kill -0 $pid 2>/dev/null; do sleep 0.05; done
	echo "bpf maps while attached: $("$TESTPROGS/bpfmaps" "AT_$map")"
	for sig in "$@"; do
		sleep 0.2
		kill -"$sig" $pid
	done
	wait $pid
	echo "status: $?"
	echo "maps printed: $(grep -c "^@$map: [0-9]" "$dir/out")"
fi
# freeing runs after the exit (deferred work): wait until the map is gone
for i in $(seq 100); do
	[ "$("$TESTPROGS/bpfmaps" "AT_$map")" = 0 ] && break
	sleep 0.1
done
echo "bpf maps left: $("$TESTPROGS/bpfmaps" "AT_$map")"
echo "uprobe_events left: $(cat /sys/kernel/tracing/uprobe_events 2>/dev/null | grep -c "$dir")"
echo "strobe processes left: $(pgrep -f "$dir/victim" | wc -l)"
rm -rf "$dir"
