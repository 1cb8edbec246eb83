#!/usr/bin/env bash
# --cgroup / --container: run tests/progs/syscalls (100 getppid calls) once
# inside a fresh cgroup v2 directory and once outside it while
#   strobe OPTION ARG -e 'tracepoint:syscalls:sys_enter_getppid /comm == "syscalls"/ { @[cgroup == ID] = count(); }'
# runs; only the run inside counts (@[true]: 100, no @[false]).
#   cgroup.sh cgroup         --cgroup DIR
#   cgroup.sh container      a directory named like docker's (docker-ID.scope), --container ID-PREFIX
#   cgroup.sh root           a uprobe on a binary that only the cgroup's task sees (it runs
#                            chrooted) resolves through /proc/PID/root of that task
set -u
v2=$(sed -n 's/^[0-9]* [0-9]* [^ ]* [^ ]* \([^ ]*\) .* - cgroup2 .*/\1/p' /proc/self/mountinfo | head -1)
[ -n "$v2" ] || { echo "no cgroup v2 mount"; exit 1; }
id=$(printf '%064x' $$)
case $1 in
root)
	# the task runs chrooted in $root with its binary at /strobe-t-PID, a path the host does not have
	dir=$v2/strobe-test-$$ root=$(mktemp -d) bin=/strobe-t-$$
	mkdir "$dir" && mkfifo "$root.go" || exit 1
	trap 'exec 3>&-; wait; rmdir "$dir"; rm -rf "$root" "$root.go"' EXIT
	cp "$TESTPROGS/uprobe_target" "$root$bin"
	for lib in $(ldd "$TESTPROGS/uprobe_target" | grep -o '/[^ ]*'); do
		mkdir -p "$root$(dirname "$lib")" && cp "$lib" "$root$lib"
	done
	sh -c 'echo $$ >"$1/cgroup.procs" && exec chroot "$2" "$3" 1 wait' sh "$dir" "$root" "$bin" <"$root.go" >/dev/null &
	exec 3>"$root.go"
	for i in $(seq 100); do [ -s "$dir/cgroup.procs" ] && break; sleep 0.05; done
	[ -e "$bin" ] || echo "/strobe-t-PID exists only in the task's root"
	out=$(mktemp)
	__BPFTRACE_NOTIFY_PROBES_ATTACHED=1 "$STROBE" --cgroup "$dir" \
		-e "uprobe:$bin:add3 { printf(\"add3(%d, %d, %d)\\n\", arg0, arg1, arg2); exit(); }" >"$out" 2>&1 &
	pid=$!
	# attached, or 15 s (scaled: an emulated guest is slow), or strobe ended
	end=$((SECONDS + 15 * ${STROBE_TIMEOUT_SCALE:-1}))
	while [ $SECONDS -lt $end ]; do grep -q __BPFTRACE_NOTIFY_PROBES_ATTACHED "$out" && break; kill -0 $pid 2>/dev/null || break; sleep 0.05; done
	trap '' PIPE # a target that ended already: say so below, not die of SIGPIPE
	echo go >&3 || echo "the target ended before it was told to go" 
	wait $pid
	echo "exit $?"
	grep -v __BPFTRACE_NOTIFY_PROBES_ATTACHED "$out" | sed "s#$bin#/strobe-t-PID#"
	rm -f "$out"
	exit 0 ;;
cgroup) dir=$v2/strobe-test-$$ opt=(--cgroup "$dir") ;;
container) dir=$v2/docker-$id.scope opt=(--container "${id:0:12}") ;;
esac
mkdir "$dir" || exit 1
out=$(mktemp)
cleanup() { rmdir "$dir" 2>/dev/null; rm -f "$out"; }
trap cleanup EXIT
cgid=$(stat -c %i "$dir")
__BPFTRACE_NOTIFY_PROBES_ATTACHED=1 "$STROBE" "${opt[@]}" \
	-e "tracepoint:syscalls:sys_enter_getppid /comm == \"syscalls\"/ { @[cgroup == $cgid] = count(); }" >"$out" 2>&1 &
pid=$!
for i in $(seq 200); do grep -q __BPFTRACE_NOTIFY_PROBES_ATTACHED "$out" && break; kill -0 $pid 2>/dev/null || break; sleep 0.05; done
sh -c 'echo $$ >"$1/cgroup.procs" && exec "$2"' sh "$dir" "$TESTPROGS/syscalls"
"$TESTPROGS/syscalls"
kill -INT $pid
wait $pid
echo "exit $?"
grep -v __BPFTRACE_NOTIFY_PROBES_ATTACHED "$out"
