#!/usr/bin/env bash
# Run $STROBE with ARGS and the modules of the build plus the "multi" test
# provider (tests/modules/test_multi_provider.c) registered, for multi.test.
set -u
build=$(dirname "$STROBE")
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
cp "$build"/plugins.d/*.ini "$d"/
sed -i "s#\.\./lib#$build/lib#" "$d"/*.ini
printf '[provider]\nname = multi\nlibrary = %s\nabi = 1\n' "$build/tests/modules/test_multi_provider.so" >"$d/multi.ini"
STROBE_PLUGIN_PATH=$d "$STROBE" "$@"
