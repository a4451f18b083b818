#!/usr/bin/env bash
# Drain or crash of a loaded media node, as in docs/benchmarks.md (Media node drain and crash at scale).
# Usage: scripts/failover-bench.sh term|kill MEMBERS OUTDIR [extra LoadGen options...]
# Starts a loopback cluster of three server processes (a seed with the gateway and channels roles, and two media
# nodes), joins MEMBERS simulated members in rooms of 10 with 2 talkers (LoadGen, --analyse 1), and 15 s into a 40 s
# window sends SIGTERM (the node drains) or SIGKILL (it crashes) to the first media node. Needs a
# Release build. Writes OUTDIR/loadgen.log and each node's log; prints LoadGen's failover and load sections.
set -u
signal=$1; n=$2; out=$3; shift 3
root="$(cd "$(dirname "$0")/.." && pwd)"
server="$root/src/Server/bin/Release/net10.0/OpenChat.Server.dll"
mkdir -p "$out"
key=$(openssl rand -hex 24); signing=$(openssl rand -base64 32)
base=$((20000 + RANDOM % 10000))
seed="akka.tcp://openchat@127.0.0.1:$base"
pids=()
start() { # name port web-port roles...
  local name=$1 port=$2 web=$3; shift 3
  local env=(OpenChat__DataDirectory="$(mktemp -d)" OpenChat__Auth__AdminKey="$key" OpenChat__Auth__SigningKey="$signing"
    OpenChat__Management__Port=0 OpenChat__Cluster__Port="$port" OpenChat__Cluster__SeedNodes__0="$seed"
    OpenChat__Media__LoadReportInterval=00:00:00.500)
  local i=0; for role in "$@"; do env+=("OpenChat__Roles__$i=$role"); i=$((i + 1)); done
  env "${env[@]}" dotnet "$server" --contentRoot "$(dirname "$server")" --urls "http://127.0.0.1:$web" > "$out/$name.log" 2>&1 &
  pids+=($!)
}
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; }
trap cleanup EXIT
start seed $base $((base + 10)) channels gateway
for _ in $(seq 1 120); do curl -sf -o /dev/null "http://127.0.0.1:$((base + 10))/healthz/ready" && break; sleep 1; done
start media-a $((base + 1)) $((base + 11)) media
start media-b $((base + 2)) $((base + 12)) media
for web in $((base + 11)) $((base + 12)); do
  for _ in $(seq 1 120); do curl -sf -o /dev/null "http://127.0.0.1:$web/healthz/ready" && break; sleep 1; done
done
# Both media nodes known to placement before anyone joins.
for _ in $(seq 1 60); do
  [ "$(curl -sf -H "Authorization: Bearer $key" "http://127.0.0.1:$((base + 10))/api/admin/media" | grep -o '"node"' | wc -l)" -ge 2 ] && break
  sleep 1
done
# Placement spreads the rooms over both nodes (least loaded first); media-a is the one stopped.
dotnet "$root/tools/LoadGen/bin/Release/net10.0/OpenChat.LoadGen.dll" --url "http://127.0.0.1:$((base + 10))" \
  --members "$n" --rooms $((n / 10)) --talkers-per-room 2 --seconds 40 --analyse 1 --admin-key "$key" \
  --pid "${pids[1]}" --pid "${pids[2]}" --disrupt "$signal:${pids[1]}@15" "$@" > "$out/loadgen.log" 2>&1
sed -n '/^== crash\|^== drain/,$p' "$out/loadgen.log"
