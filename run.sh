#!/usr/bin/env bash
# Runs the all-in-one server (every role in one process, SQLite under ./data) on http://127.0.0.1:8080.
# Extra arguments go to the server, e.g. ./run.sh --urls http://0.0.0.0:8080
# ./run.sh --lan (or OPENCHAT_LAN=1): for the machines of a home or office network, serves https://ADDRESS:8443 with a
# self-signed certificate made on first start and kept in ./data (its fingerprint is printed at every start), plain
# http://ADDRESS:8080 redirecting to it, and voice on ADDRESS: this machine's LAN address, or OPENCHAT_LAN_ADDRESS.
set -euo pipefail
cd "$(dirname "$0")"
# As root on Debian it installs what is missing: libopus (native Opus codec) and, when Debian's is recent enough,
# Node.js (builds the web client; 20.19 or later).
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1 && ! compgen -G "/usr/lib/*/libopus.so" >/dev/null; then
  echo "Installing libopus-dev..."
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libopus-dev >/dev/null
fi
. scripts/require-node.sh
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
export OpenChat__DataDirectory="${OpenChat__DataDirectory:-$(pwd)/data}"
# Metrics and health for Prometheus on the management listener, loopback only (docs/operations.md, Metrics).
export OpenChat__Management__Port="${OpenChat__Management__Port:-9464}"
args=()
lan="${OPENCHAT_LAN:-}"
for arg in "$@"; do
  if [ "$arg" = "--lan" ]; then lan=1; else args+=("$arg"); fi
done
if [ -n "$lan" ]; then
  # A route lookup only: nothing is sent.
  address="${OPENCHAT_LAN_ADDRESS:-$(ip -4 route get 192.0.2.1 2>/dev/null | sed -n 's/.* src \([0-9.]*\).*/\1/p')}"
  if [ -z "$address" ]; then
    echo "run.sh --lan: cannot tell this machine's LAN address; set OPENCHAT_LAN_ADDRESS=192.168.1.10 (say)." >&2
    exit 1
  fi
  export OpenChat__Https__Mode="${OpenChat__Https__Mode:-self-signed}"
  export OpenChat__Media__RtcBindAddress="${OpenChat__Media__RtcBindAddress:-$address}"
  args=(--urls "http://0.0.0.0:8080" "${args[@]}")
  echo "Serving https://$address:${OpenChat__Https__Port:-8443} (self-signed: compare the fingerprint logged below with the browser's)."
fi
dotnet build src/Server/OpenChat.Server.csproj -c Release -nologo -v q
exec dotnet src/Server/bin/Release/net10.0/OpenChat.Server.dll --contentRoot "$(pwd)/src/Server/bin/Release/net10.0" "${args[@]}"
