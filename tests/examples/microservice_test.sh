#!/usr/bin/env bash
# sloe-microservice end to end, as its README walks through it: health, metrics (gzip), JWT
# auth, orders handed to a background task (its log line carries the request and trace ids),
# rate limits (in process, then shared by two instances through a Redis of the test's own),
# CORS preflights, the admin endpoint behind Basic auth, the timeout middleware, span export to
# a loopback OTLP collector, and bad flags.
# Usage: microservice_test.sh SLOE_MICROSERVICE
set -euo pipefail
bin=$1
work=$(mktemp -d)
secret=test-secret-that-is-at-least-32-bytes-long
pids=()
services=()  # PID:NAME of each instance, for stop_services
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  # Braces: bash itself complains (not the wait) about a child it has already reaped.
  for p in "${pids[@]}"; do { wait "$p" || true; } 2>/dev/null; done
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*" >&2
  for f in "$work"/*.log; do
    [[ -e $f ]] || continue
    echo "--- $(basename "$f")" >&2
    cat "$f" >&2
  done
  exit 1
}

# poll TRIES COMMAND...: runs COMMAND until it succeeds, at most TRIES times 50 ms apart.
poll() {
  local tries=$1
  shift
  for _ in $(seq 1 "$tries"); do
    "$@" && return 0
    sleep 0.05
  done
  return 1
}

# start NAME FLAGS...: starts an instance on a free port, its output in $work/NAME.log; sets
# $port once it says where it listens.
start() {
  local name=$1
  shift
  "$bin" --listen 127.0.0.1:0 --jwt-secret "$secret" "$@" >"$work/$name.log" 2>&1 &
  local pid=$!
  pids+=("$pid")
  services+=("$pid:$name")
  port=
  for _ in $(seq 1 200); do
    port=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/$name.log" |
      head -1)
    [[ -n $port ]] && return 0
    kill -0 "$pid" 2>/dev/null || fail "$name exited"
    sleep 0.05
  done
  fail "$name did not say which port it listens on"
}

# stop_services: SIGTERM to every instance; each must shut down gracefully (status 0), which a
# crash in any request along the way (a signal, an abort) would have prevented.
stop_services() {
  local entry pid name code
  for entry in "${services[@]}"; do
    pid=${entry%%:*}
    name=${entry#*:}
    kill "$pid" 2>/dev/null || fail "$name had exited before the end of the test"
    code=0
    wait "$pid" || code=$?
    [[ $code == 0 ]] || fail "$name exited with status $code"
  done
  services=()
}

# mint SUBJECT [SECRET]: an HS256 JWT for SUBJECT, valid for an hour.
mint() {
  python3 - "$1" "${2:-$secret}" <<'EOF'
import base64, hashlib, hmac, json, sys, time
def b64(raw): return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
header = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
payload = b64(json.dumps({"sub": sys.argv[1], "exp": int(time.time()) + 3600}).encode())
signature = hmac.new(sys.argv[2].encode(), f"{header}.{payload}".encode(), hashlib.sha256)
print(f"{header}.{payload}.{b64(signature.digest())}")
EOF
}

# req NAME CURL_ARGS...: one request; the status in $status, headers in $work/NAME.h, body in
# $work/NAME.b.
req() {
  local name=$1
  shift
  # curl's own failure (refused, timed out) shows as status 000.
  status=$(curl -s --max-time 20 -D "$work/$name.h" -o "$work/$name.b" -w '%{http_code}' "$@") || true
}
# has_header NAME REGEX: the response headers of request NAME match REGEX (case-insensitive).
has_header() { tr -d '\r' <"$work/$1.h" | grep -qiE "$2"; }
body() { cat "$work/$1.b"; }
json_field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$2" <"$work/$1.b"; }

alice=$(mint alice)
bob=$(mint bob)
trace_id=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
traceparent="00-$trace_id-$(python3 -c 'import secrets; print(secrets.token_hex(8))')-01"

# ---- bad flags: usage on stderr, status 2 ---------------------------------------------------
for args in "" "--listen 127.0.0.1:0" "--listen 127.0.0.1:0 --jwt-secret short" \
  "--listen 127.0.0.1:0 --jwt-secret $secret --timeout 5x" \
  "--listen 127.0.0.1:0 --jwt-secret $secret --rate -1" \
  "--listen 127.0.0.1:0 --jwt-secret $secret --redis nowhere" \
  "--listen 127.0.0.1:0 --jwt-secret $secret --basic-auth nocolon" \
  "--listen 127.0.0.1:0 --jwt-secret $secret --bogus"; do
  code=0
  # shellcheck disable=SC2086 # the flags are split on purpose
  "$bin" $args >"$work/flags.out" 2>"$work/flags.err" || code=$?
  [[ $code == 2 ]] || fail "'$args' exited with $code, not 2"
  grep -q '^usage: sloe-microservice' "$work/flags.err" || fail "'$args' printed no usage on stderr"
  [[ ! -s $work/flags.out ]] || fail "'$args' wrote to stdout"
done

# ---- a loopback OTLP collector: records each POST to /v1/traces as one line -----------------
python3 - "$work/spans.jsonl" >"$work/collector.port" 2>"$work/collector.log" <<'EOF' &
import http.server, sys
out = sys.argv[1]
class Collector(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if self.path == "/v1/traces":
            with open(out, "ab") as f:
                f.write(body.replace(b"\n", b" ") + b"\n")
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")
    def log_message(self, *args):
        pass
server = http.server.HTTPServer(("127.0.0.1", 0), Collector)
print(server.server_address[1], flush=True)
server.serve_forever()
EOF
pids+=($!)
collector_port_known() { [[ -s $work/collector.port ]]; }
poll 200 collector_port_known || fail "the collector did not start"
collector=http://127.0.0.1:$(head -1 "$work/collector.port")

# ---- one instance with every feature but Redis ----------------------------------------------
# A rate of 0.01/s refills nothing while the test runs: the burst is all a client gets.
burst=5
start main --rate 0.01 --burst $burst --cors-origin http://app.example \
  --basic-auth admin:s3cret --otlp-endpoint "$collector"
base=http://127.0.0.1:$port

req health "$base/healthz"
[[ $status == 200 ]] || fail "/healthz answered $status"

req noauth -X POST -H 'Content-Type: application/json' -d '{"item":"tea"}' "$base/api/orders"
[[ $status == 401 ]] || fail "POST /api/orders without a token answered $status"
has_header noauth '^WWW-Authenticate: Bearer' || fail "401 without WWW-Authenticate: Bearer"

req badtoken -X POST -H "Authorization: Bearer $(mint alice wrong-secret-wrong-secret-wrong-secret)" \
  -d '{"item":"tea"}' "$base/api/orders"
[[ $status == 401 ]] || fail "a token signed with another secret answered $status"

req create -X POST -H "Authorization: Bearer $alice" -H "traceparent: $traceparent" \
  -H 'Content-Type: application/json' -d '{"item":"tea","quantity":2}' "$base/api/orders"
[[ $status == 202 ]] || fail "POST /api/orders answered $status: $(body create)"
order_id=$(json_field create order_id)
[[ $(json_field create status) == accepted ]] || fail "the new order is not accepted: $(body create)"
[[ -n $order_id ]] || fail "no order_id: $(body create)"
request_id=$(tr -d '\r' <"$work/create.h" | sed -n 's/^X-Request-ID: //Ip')
[[ -n $request_id ]] || fail "the 202 has no X-Request-ID"

# The background task's line: one line with the request id, the trace id and the order.
task_logged() {
  grep -F "processing order $order_id for alice" "$work/main.log" |
    grep -F "request_id=$request_id" | grep -qF "trace_id=$trace_id"
}
poll 200 task_logged || fail "no 'processing order $order_id for alice' line with request_id=$request_id trace_id=$trace_id"

processed() {
  req order -H "Authorization: Bearer $alice" "$base/api/orders/$order_id"
  [[ $status == 200 && $(json_field order status) == processed ]]
}
poll 200 processed || fail "GET /api/orders/$order_id: $status $(body order)"
[[ $(json_field order order_id) == "$order_id" ]] || fail "GET gave another order: $(body order)"
python3 -c 'import json,sys; assert json.load(sys.stdin)["order"]["item"] == "tea"' \
  <"$work/order.b" || fail "the order's details were not kept: $(body order)"

req unknown -H "Authorization: Bearer $alice" "$base/api/orders/ord_0000000000000000"
[[ $status == 404 ]] || fail "an unknown order answered $status"
req others -H "Authorization: Bearer $bob" "$base/api/orders/$order_id"
[[ $status == 404 ]] || fail "bob reading alice's order answered $status"
req noauth_get "$base/api/orders/$order_id"
[[ $status == 401 ]] || fail "GET /api/orders/:id without a token answered $status"

req notjson -X POST -H "Authorization: Bearer $alice" -d 'not json' "$base/api/orders"
[[ $status == 400 ]] || fail "a body that is not JSON answered $status"

# A preflight is answered by cors() before authentication and the rate limit.
req preflight -X OPTIONS -H 'Origin: http://app.example' \
  -H 'Access-Control-Request-Method: POST' \
  -H 'Access-Control-Request-Headers: authorization, content-type' "$base/api/orders"
[[ $status == 204 ]] || fail "the preflight answered $status"
has_header preflight '^Access-Control-Allow-Origin: http://app\.example$' ||
  fail "the preflight has no Access-Control-Allow-Origin"
has_header preflight '^Access-Control-Allow-Headers:.*authorization' ||
  fail "the preflight does not allow Authorization"
req cors_get -H 'Origin: http://app.example' -H "Authorization: Bearer $alice" \
  "$base/api/orders/$order_id"
[[ $status == 200 ]] || fail "a cross-origin GET answered $status"
has_header cors_get '^Access-Control-Allow-Origin: http://app\.example$' ||
  fail "a cross-origin GET has no Access-Control-Allow-Origin"
req evil -X OPTIONS -H 'Origin: http://evil.example' -H 'Access-Control-Request-Method: POST' \
  "$base/api/orders"
! has_header evil '^Access-Control-Allow-Origin' || fail "another origin was allowed"

# The burst is shared by every POST of this client, accepted or refused by auth: the first
# 429 comes within the burst, with Retry-After.
limited=
for _ in $(seq 1 $burst); do
  req limit -X POST -H "Authorization: Bearer $alice" -d '{"item":"tea"}' "$base/api/orders"
  if [[ $status == 429 ]]; then
    limited=yes
    break
  fi
  [[ $status == 202 ]] || fail "a POST within the burst answered $status"
done
[[ -n $limited ]] || fail "no 429 after a burst of $burst"
has_header limit '^Retry-After: [1-9]' || fail "the 429 has no Retry-After"
req after_limit -H "Authorization: Bearer $alice" "$base/api/orders/$order_id"
[[ $status == 200 ]] || fail "reading an order is not rate limited, but answered $status"

req metrics "$base/metrics"
[[ $status == 200 ]] || fail "/metrics answered $status"
grep -q '^sloe_http_requests_total{.*route="/api/orders"' "$work/metrics.b" ||
  fail "/metrics does not count /api/orders"
grep -q '^sloe_tasks_spawned_total' "$work/metrics.b" || fail "/metrics has no task counters"
req metrics_gz -H 'Accept-Encoding: gzip' "$base/metrics"
[[ $status == 200 ]] || fail "/metrics with gzip answered $status"
has_header metrics_gz '^Content-Encoding: gzip' || fail "/metrics was not gzipped when asked"
gunzip -c <"$work/metrics_gz.b" | grep -q '^sloe_http_requests_total' ||
  fail "the gzipped /metrics is not the exposition"

req admin_none "$base/admin/tasks"
[[ $status == 401 ]] || fail "/admin/tasks without credentials answered $status"
has_header admin_none '^WWW-Authenticate: Basic' || fail "/admin/tasks 401 without WWW-Authenticate"
req admin_wrong -u admin:wrong "$base/admin/tasks"
[[ $status == 401 ]] || fail "/admin/tasks with a wrong password answered $status"
req admin -u admin:s3cret "$base/admin/tasks"
[[ $status == 200 ]] || fail "/admin/tasks answered $status"
python3 -c 'import json,sys; s = json.load(sys.stdin); assert s["spawned"] >= 1 and s["finished"] >= 1, s' \
  <"$work/admin.b" || fail "/admin/tasks: $(body admin)"

# Without --timeout, /api/slow answers once its 2 s have passed.
req slow_ok -H "Authorization: Bearer $alice" "$base/api/slow"
[[ $status == 200 ]] || fail "/api/slow without --timeout answered $status"

# The request's span, and the background task's child span, reach the collector.
span_exported() {
  [[ -s $work/spans.jsonl ]] || return 1
  python3 - "$work/spans.jsonl" "$trace_id" <<'EOF'
import json, sys
names = set()
for line in open(sys.argv[1]):
    for resource in json.loads(line).get("resourceSpans", []):
        for scope in resource.get("scopeSpans", []):
            for span in scope.get("spans", []):
                if span.get("traceId") == sys.argv[2]:
                    names.add(span.get("name"))
sys.exit(0 if {"POST /api/orders", "process order"} <= names else 1)
EOF
}
poll 400 span_exported || fail "the collector got no spans of trace $trace_id: $(cat "$work/spans.jsonl" 2>/dev/null)"
echo "microservice: health, metrics, auth, orders, background task, CORS, rate limit, admin, tracing"

# ---- --timeout: /api/slow gets the timeout middleware's 503 ---------------------------------
start timeout --timeout 1s
req slow -H "Authorization: Bearer $alice" "http://127.0.0.1:$port/api/slow"
[[ $status == 503 ]] || fail "/api/slow under --timeout 1s answered $status"
echo "microservice: --timeout answers 503"

# ---- two instances sharing one bucket through Redis -----------------------------------------
if ! command -v redis-server >/dev/null; then
  stop_services
  echo "microservice: SKIPPED the Redis part: redis-server is not installed (scripts/setup installs it)"
  exit 0
fi
redis_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no >"$work/redis.log" 2>&1 &
pids+=($!)
redis_up() { [[ $(redis-cli -p "$redis_port" ping 2>/dev/null) == PONG ]]; }
poll 200 redis_up || fail "redis-server did not answer on port $redis_port"

shared_burst=4
start one --redis "127.0.0.1:$redis_port" --rate 0.01 --burst $shared_burst
one=http://127.0.0.1:$port
start two --redis "127.0.0.1:$redis_port" --rate 0.01 --burst $shared_burst
two=http://127.0.0.1:$port
# Alternating between the instances, the remaining count goes down by one each time: one
# bucket. Separate buckets would each still have half of theirs left at the end.
for n in $(seq 1 $shared_burst); do
  if ((n % 2)); then url=$one; else url=$two; fi
  req shared -X POST -H "Authorization: Bearer $alice" -d '{"item":"tea"}' "$url/api/orders"
  [[ $status == 202 ]] || fail "shared POST $n answered $status"
  has_header shared "^RateLimit-Remaining: $((shared_burst - n))\$" ||
    fail "shared POST $n: $(tr -d '\r' <"$work/shared.h" | grep -i '^RateLimit-Remaining' || echo 'no RateLimit-Remaining (Redis undecided?)')"
done
for url in "$one" "$two"; do
  req shared_over -X POST -H "Authorization: Bearer $alice" -d '{"item":"tea"}' "$url/api/orders"
  [[ $status == 429 ]] || fail "POST past the shared burst to $url answered $status"
  has_header shared_over '^Retry-After: [1-9]' || fail "the shared 429 has no Retry-After"
done
echo "microservice: two instances share one rate limit through Redis"
stop_services
