#!/bin/sh
# cgroup_hierarchies.sh: the names cgroup_path() gives this machine's mounted cgroup
# hierarchies, in its order (unified first, then by name), one per line. Tests compute
# their expectations from it instead of remembering one host's controller list.
awk '{
	for (i = 1; i <= NF && $i != "-"; i++) ;
	fs = $(i + 1)
	if (fs == "cgroup2") { print "0 unified"; next }
	if (fs != "cgroup") next
	n = split($(i + 3), o, ","); name = ""
	for (k = 1; k <= n; k++) {
		t = o[k]
		if (t == "rw" || t == "ro" || t ~ /^release_agent/ || t == "clone_children" || t == "noprefix" || t == "xattr") continue
		sub(/^name=/, "", t)
		name = name (name == "" ? "" : ",") t
	}
	print "1 " name
}' /proc/self/mountinfo | LC_ALL=C sort -u | cut -d' ' -f2-
