#!/usr/bin/env bash
# The Prometheus exporter against the real server: strobe -f prometheus serves
# a counter, a histogram and a labelled counter on 127.0.0.1; Debian's
# prometheus, started here on 127.0.0.1 with a scrape config pointing at
# strobe, must return their values through its HTTP query API
# (histogram_quantile too); promtool must accept a scrape. Then: a client
# that sends nothing does not stall other scrapes, 1000 scrapes grow RSS by
# less than 1 MiB, a second exporter on the same port fails before
# attaching, SIGTERM ends the run and closes the socket.
set -u
d=$(mktemp -d)
spid="" ppid=""
cleanup() {
	[ -n "$ppid" ] && kill "$ppid" 2>/dev/null && wait "$ppid" 2>/dev/null
	[ -n "$spid" ] && kill "$spid" 2>/dev/null && wait "$spid" 2>/dev/null
	rm -rf "$d"
}
trap cleanup EXIT
free_port() {
	local p
	for p in $(shuf -i 20000-32000 -n 50); do
		ss -Hltn "sport = :$p" | grep -q . || { echo "$p"; return; }
	done
}
# wait (bounded) until command "$@" succeeds
wait_for() {
	local i
	for i in $(seq 300); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
	return 1
}
sport=$(free_port)
url=http://127.0.0.1:$sport/metrics
"$STROBE" -f prometheus:127.0.0.1:$sport -e 'config = { metric_prefix = "fleet_" }
	BEGIN { $i = 0; while ($i < 100) { @requests = count(); @latency = hist($i); @calls["GET", "/a\"b"] = count(); $i++; } }' \
	>"$d/strobe.out" 2>"$d/strobe.err" &
spid=$!
wait_for curl -sf "$url" || { echo "strobe does not serve $url"; cat "$d/strobe.err"; exit 1; }
head -2 "$d/strobe.out"
curl -sf "$url" >"$d/scrape.txt"
grep -F 'fleet_calls_total{key0="GET",key1="/a\"b"} 100' "$d/scrape.txt"
promtool check metrics <"$d/scrape.txt" && echo "promtool: the scrape is valid"

pport=$(free_port)
cat >"$d/prometheus.yml" <<EOT
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: strobe
    static_configs:
      - targets: ['127.0.0.1:$sport']
EOT
prometheus --config.file="$d/prometheus.yml" --storage.tsdb.path="$d/data" \
	--web.listen-address=127.0.0.1:$pport --log.level=error >"$d/prom.log" 2>&1 &
ppid=$!
api=http://127.0.0.1:$pport/api/v1/query
# the value of an instant query, once Prometheus has scraped it
query() {
	curl -sf --get --data-urlencode "query=$1" "$api" | sed -n 's/.*"value":\[[0-9.]*,"\([^"]*\)"\].*/\1/p'
}
has() { [ -n "$(query "$1")" ]; }
wait_for has fleet_requests_total || { echo "prometheus never scraped strobe"; tail -5 "$d/prom.log"; exit 1; }
echo "prometheus: fleet_requests_total = $(query fleet_requests_total)"
echo "prometheus: fleet_latency_count = $(query fleet_latency_count)"
echo "prometheus: fleet_latency_bucket{le=\"63\"} = $(query 'fleet_latency_bucket{le="63"}')"
echo "prometheus: calls{key1=\"/a\\\"b\"} = $(query 'fleet_calls_total{key1="/a\"b"}')"
echo "prometheus: histogram_quantile(0.5) = $(query 'histogram_quantile(0.5, fleet_latency_bucket)')"
echo "prometheus: up = $(query 'up{job="strobe"}')"

# a client that connects and sends nothing does not stall the others
exec 3<>"/dev/tcp/127.0.0.1/$sport"
curl -sf --max-time 5 "$url" | grep -q '^fleet_requests_total 100$' && echo "a silent client does not stall a scrape"
exec 3>&-

# 20 scrapes at once all answer
for i in $(seq 20); do curl -sf --max-time 10 -o /dev/null -w '%{http_code}\n' "$url" & done >"$d/codes"
wait $(jobs -p | grep -v "^$spid$" | grep -v "^$ppid$") 2>/dev/null
echo "concurrent scrapes answered: $(grep -c '^200$' "$d/codes") of 20"

# memory: 1000 scrapes, RSS growth under 1 MiB (after 50 to warm up)
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$spid/status"; }
for i in $(seq 50); do printf 'url = "%s"\noutput = "/dev/null"\n' "$url"; done >"$d/warm.cfg"
for i in $(seq 1000); do printf 'url = "%s"\noutput = "/dev/null"\n' "$url"; done >"$d/many.cfg"
curl -s -K "$d/warm.cfg"
before=$(rss)
curl -s -K "$d/many.cfg"
after=$(rss)
grow=$((after - before))
if ldd "$STROBE" | grep -q libasan; then
	echo "1000 scrapes: RSS not measured under ASan (its quarantine keeps freed memory)"
else
	[ "$grow" -lt 1024 ] && echo "1000 scrapes: RSS grew by less than 1 MiB" || echo "1000 scrapes: RSS grew by $grow KiB"
fi
echo "rss: $before KiB -> $after KiB" >&2

# the port is taken: a clear error before anything attaches
"$STROBE" -f prometheus:127.0.0.1:$sport -e 'tracepoint:raw_syscalls:sys_enter { @ = count(); }'
echo "second exporter: exit $?"

kill -TERM "$spid"
wait "$spid"
echo "strobe: exit $?"
spid=""
curl -s --max-time 2 "$url" >/dev/null || echo "the socket is closed"
