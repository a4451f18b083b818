#!/usr/bin/env bash
# Builds everything and runs the whole test suite; ends with "N passed, N failed, N skipped".
# Installs what the suite needs: NuGet packages (restore), the web client's npm packages, and, when run as root on
# Debian, Chromium (browser tests), coturn and NSS's certutil (the TURN tests), Prometheus (the monitoring tests), the PostgreSQL server (the PostgreSQL storage test), nftables (the
# simulated pod network's services and network policies) and libopus (the media node's native Opus codec; without it the
# managed codec is used).
set -uo pipefail
cd "$(dirname "$0")"

if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  missing=()
  [ -x /usr/bin/chromium ] || missing+=(chromium)
  [ -x /usr/bin/prometheus ] || missing+=(prometheus)
  ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || missing+=(postgresql)
  compgen -G "/usr/lib/*/libopus.so" >/dev/null || missing+=(libopus-dev)
  command -v nft >/dev/null 2>&1 || missing+=(nftables)
  [ -x /usr/bin/turnserver ] || missing+=(coturn)
  command -v certutil >/dev/null 2>&1 || missing+=(libnss3-tools)
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "Installing ${missing[*]}..."
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
fi

. scripts/require-node.sh || { echo "0 passed, 1 failed"; exit 1; }

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
results="$(pwd)/.artifacts/test-results"
rm -rf "$results" && mkdir -p "$results"

if ! dotnet build OpenChat.sln -c Release -nologo -v q; then
  echo "Build failed."
  echo "0 passed, 1 failed"
  exit 1
fi

status=0
# Test projects live under tests/; a tool's own tests sit beside it (tools/*/*.Tests.csproj).
for project in tests/*/*.Tests.csproj tools/*/*.Tests.csproj; do
  name="$(basename "$project" .csproj)"
  echo "=== $name"
  dotnet test "$project" -c Release --no-build -nologo \
    --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=normal" \
    --results-directory "$results" || status=1
  if [ ! -f "$results/$name.trx" ]; then
    echo "$name produced no results (the test host crashed or did not start)."
    echo "$name" >> "$results/crashed"
  fi
done

# The web client's unit tests (Vitest). The build above already installed its packages (npm ci).
echo "=== Web client (Vitest)"
web_results="$results/web-vitest.json"
if ! (cd src/Web && { [ -x node_modules/.bin/vitest ] || npm ci --no-audit --no-fund; } \
      && npx vitest run --reporter=default --reporter=json --outputFile.json="$web_results"); then
  status=1
fi
if [ ! -f "$web_results" ]; then
  echo "The web client's tests produced no results."
  echo "web-client" >> "$results/crashed"
fi

passed=0; failed=0; skipped=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters="$(grep -o '<Counters [^>]*>' "$trx" | head -1)"
  p="$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")"
  f="$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")"
  t="$(sed -n 's/.* total="\([0-9]*\)".*/\1/p' <<<"$counters")"
  e="$(sed -n 's/.* executed="\([0-9]*\)".*/\1/p' <<<"$counters")"
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${t:-0} - ${e:-0}))
done
if [ -f "$web_results" ]; then
  # Passed, failed (a test file that failed to load counts once), skipped (skipped and todo).
  read -r p f k < <(node -e '
    const r = require(process.argv[1]);
    const broken = r.testResults.filter((t) => t.status === "failed" && !t.assertionResults.some((a) => a.status === "failed")).length;
    console.log(r.numPassedTests, r.numFailedTests + broken, r.numPendingTests + r.numTodoTests);' "$web_results" || echo "0 1 0")
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${k:-0}))
fi
if [ -f "$results/crashed" ]; then failed=$((failed + $(wc -l < "$results/crashed"))); fi

# Repeat every failure at the end, where a truncated log still shows it.
if [ "$failed" -gt 0 ]; then
  echo "=== Failures"
  [ -f "$results/crashed" ] && sed 's/^/crashed: /' "$results/crashed"
  node -e '
    const fs = require("fs"), path = require("path");
    const decode = (s) => s.replace(/&#x([0-9a-f]+);/gi, (_, h) => String.fromCharCode(parseInt(h, 16))).replace(/\r/g, "").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, "\"").replace(/&apos;/g, "'"'"'").replace(/&amp;/g, "&");
    for (const file of fs.readdirSync(process.argv[1]).filter((f) => f.endsWith(".trx"))) {
      const xml = fs.readFileSync(path.join(process.argv[1], file), "utf8");
      for (const m of xml.matchAll(/<UnitTestResult [^>]*testName="([^"]*)"[^>]*outcome="Failed"[^>]*>([\s\S]*?)<\/UnitTestResult>/g)) {
        const message = /<Message>([\s\S]*?)<\/Message>/.exec(m[2]);
        const text = message ? decode(message[1]).split("\n").slice(0, 6).join("\n    ") : "(no message)";
        console.log(`FAILED ${decode(m[1])}\n    ${text}`);
      }
    }
    const web = path.join(process.argv[1], "web-vitest.json");
    if (fs.existsSync(web)) {
      for (const file of JSON.parse(fs.readFileSync(web, "utf8")).testResults) {
        const failed = file.assertionResults.filter((a) => a.status === "failed");
        if (file.status === "failed" && failed.length === 0) console.log(`FAILED ${file.name}\n    ${String(file.message).split("\n").slice(0, 6).join("\n    ")}`);
        for (const a of failed) console.log(`FAILED ${a.fullName}\n    ${String(a.failureMessages[0] ?? "").split("\n").slice(0, 6).join("\n    ")}`);
      }
    }' "$results" || true
fi
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi

echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$status" -eq 0 ]
