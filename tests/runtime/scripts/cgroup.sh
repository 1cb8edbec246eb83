#!/usr/bin/env bash
# --cgroup / --container: run tests/progs/syscalls (100 getppid calls) once
# inside a fresh cgroup v2 directory and once outside it while
#   strobe OPTION ARG -e 'tracepoint:syscalls:sys_enter_getppid /comm == "syscalls"/ { @[cgroup == ID] = count(); }'
# runs; only the run inside counts (@[true]: 100, no @[false]).
#   cgroup.sh cgroup         --cgroup DIR
#   cgroup.sh container      a directory named like docker's (docker-ID.scope), --container ID-PREFIX
set -u
v2=$(sed -n 's/^[0-9]* [0-9]* [^ ]* [^ ]* \([^ ]*\) .* - cgroup2 .*/\1/p' /proc/self/mountinfo | head -1)
[ -n "$v2" ] || { echo "no cgroup v2 mount"; exit 1; }
id=$(printf '%064x' $$)
case $1 in
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
