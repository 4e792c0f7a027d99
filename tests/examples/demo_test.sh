#!/usr/bin/env bash
# The demo server as a user runs it: streamed chunks, Server-Sent Events and static files
# from --static, traversal refused. Usage: demo_test.sh SLOE_DEMO SOURCE_DIR
set -euo pipefail
demo=$1
source_dir=$2
work=$(mktemp -d)
log=$work/demo.log
pid=
cleanup() {
  if [[ -n $pid ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; echo "--- server log" >&2; cat "$log" >&2; exit 1; }

mkdir -p "$work/site/sub"
echo "public" >"$work/site/index.html"
echo "nested" >"$work/site/sub/page.txt"
echo "secret" >"$work/secret.txt"
ln -s "$work/secret.txt" "$work/site/leak.txt"

"$demo" --listen 127.0.0.1:0 --threads 1 --static "$work/site" >"$log" 2>&1 &
pid=$!
port=
for _ in $(seq 1 200); do
  port=$(sed -n 's/.*listening on http:\/\/127\.0\.0\.1:\([0-9]*\).*/\1/p' "$log" | head -1)
  [[ -n $port ]] && break
  kill -0 "$pid" 2>/dev/null || fail "the demo exited"
  sleep 0.05
done
[[ -n $port ]] || fail "the demo did not say which port it listens on"
base=http://127.0.0.1:$port

stream=$(curl -sN --max-time 20 "$base/stream")
expected=$(printf 'chunk %s\n' 1 2 3 4 5)
[[ $stream == "$expected" ]] || fail "/stream gave: $stream"

events=$(curl -sN --max-time 20 "$base/events")
expected=$(for n in $(seq 1 10); do printf 'event: tick\ndata: %s\n\n' "$n"; done)
[[ $events == "$expected" ]] || fail "/events gave: $events"
type=$(curl -s --max-time 20 -o /dev/null -w '%{content_type}' "$base/events")
[[ $type == text/event-stream ]] || fail "/events has Content-Type $type"

[[ $(curl -s --max-time 5 "$base/static/sub/page.txt") == nested ]] || fail "static file"
[[ $(curl -s --max-time 5 "$base/static/") == public ]] || fail "static index.html"
for path in /static/../secret.txt /static/%2e%2e/secret.txt /static/..%2fsecret.txt \
  /static/%2e%2e%2fsecret.txt /static/leak.txt; do
  answer=$(curl -s --max-time 5 --path-as-is -w ' %{http_code}' "$base$path")
  [[ $answer != *secret* ]] || fail "$path leaked the secret"
  code=${answer##* }
  [[ $code == 4* ]] || fail "$path answered $code"
done
echo "demo: /stream, /events and --static behave"
