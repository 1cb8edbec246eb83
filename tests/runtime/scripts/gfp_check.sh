#!/usr/bin/env bash
# gfp_check.sh: the GFP flag names printf's %gr prints for kmem:kmalloc events
# against those the kernel's own trace prints for the same events (a tracefs
# instance filtered on the same process name). Prints "same: N names" or the
# two lists.
set -u
t=$(grep -m1 ' tracefs ' /proc/mounts | cut -d' ' -f2)
dir=$(mktemp -d)
inst=$t/instances/strobe_gfp_$$
cp /bin/cat "$dir/gfpcheck"
mkdir "$inst"
trap 'echo 0 > "$inst/events/kmem/kmalloc/enable" 2>/dev/null; rmdir "$inst"; rm -rf "$dir"' EXIT
echo 'comm == "gfpcheck"' > "$inst/events/kmem/kmalloc/filter"
echo 1 > "$inst/events/kmem/kmalloc/enable"
__BPFTRACE_NOTIFY_PROBES_ATTACHED=1 $STROBE -e 'tracepoint:kmem:kmalloc /comm == "gfpcheck"/ { printf("G %gr\n", args.gfp_flags); }' >"$dir/out" 2>&1 &
pid=$!
until grep -q NOTIFY "$dir/out" || ! kill -0 $pid 2>/dev/null; do sleep 0.05; done
for i in 1 2 3; do "$dir/gfpcheck" /proc/self/status /proc/self/maps /etc/hostname >/dev/null; done
sleep 0.3
kill -INT $pid
wait $pid
echo 0 > "$inst/events/kmem/kmalloc/enable"
grep -o 'gfp_flags=[^ ]*' "$inst/trace" | cut -d= -f2 | sort -u > "$dir/kernel"
sed -n 's/^G //p' "$dir/out" | sort -u > "$dir/strobe"
if [ -s "$dir/kernel" ] && cmp -s "$dir/kernel" "$dir/strobe"; then
	echo "same: $(wc -l < "$dir/kernel") names"
else
	echo "kernel:"; cat "$dir/kernel"; echo "strobe:"; cat "$dir/strobe"
fi
