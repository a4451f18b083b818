#!/usr/bin/env bash
# Memory of an all-in-one server holding N simulated voice members (rooms of 10, 2 talkers each), as in
# docs/benchmarks.md (Memory per voice member). Usage: scripts/voice-memory.sh MEMBERS PORT OUTDIR
# Needs a Release build (dotnet build -c Release) and the global tools dotnet-counters and dotnet-gcdump.
# Writes OUTDIR/mem.txt (VmRSS and smaps_rollup while the members talk, then after the full GC that the heap
# dump makes), counters.csv (System.Runtime: GC committed, heap sizes) and heap.gcdump (live managed objects).
set -u
n=$1; port=$2; out=$3
root="$(cd "$(dirname "$0")/.." && pwd)"
mkdir -p "$out"
data=$(mktemp -d); key=$(openssl rand -hex 24)
export PATH="$PATH:$HOME/.dotnet/tools"
OpenChat__DataDirectory=$data OpenChat__Auth__AdminKey=$key OpenChat__Management__Port=0 \
  dotnet "$root/src/Server/bin/Release/net10.0/OpenChat.Server.dll" --contentRoot "$root/src/Server/bin/Release/net10.0" \
  --urls "http://127.0.0.1:$port" > "$out/server.log" 2>&1 &
server=$!
for _ in $(seq 1 120); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 1; done
sample() {
  { echo "== $1 $(date -u +%T)"; grep -E "VmRSS|VmHWM|Threads" /proc/$server/status
    grep -E "^(Rss|Anonymous|Private_Dirty)" /proc/$server/smaps_rollup; } >> "$out/mem.txt"
}
loadgen=
if [ "$n" -gt 0 ]; then
  dotnet "$root/tools/LoadGen/bin/Release/net10.0/OpenChat.LoadGen.dll" --url "http://127.0.0.1:$port" --members "$n" \
    --rooms $((n / 10)) --talkers-per-room 2 --seconds 90 --analyse 1 --admin-key "$key" --pid $server > "$out/loadgen.log" 2>&1 &
  loadgen=$!
  # Sample 10 s into LoadGen's measurement window, everyone joined and hearing their room.
  for _ in $(seq 1 600); do grep -q "^measuring" "$out/loadgen.log" && break; kill -0 $loadgen 2>/dev/null || break; sleep 1; done
  sleep 10
else
  sleep 20
fi
sample talking
dotnet-counters collect -p $server --counters System.Runtime --duration 00:00:05 --format csv -o "$out/counters.csv" > /dev/null 2>&1
dotnet-gcdump collect -p $server -o "$out/heap.gcdump" > /dev/null 2>&1
sample after-full-gc
if [ -n "$loadgen" ]; then kill $loadgen 2>/dev/null; wait $loadgen 2>/dev/null; grep "^joined" "$out/loadgen.log" >> "$out/mem.txt"; fi
kill $server; wait $server 2>/dev/null
rm -rf "$data"
cat "$out/mem.txt"
