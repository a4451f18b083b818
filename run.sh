#!/usr/bin/env bash
# Runs the all-in-one server (every role in one process, SQLite under ./data) on http://127.0.0.1:8080.
# Extra arguments go to the server, e.g. ./run.sh --urls http://0.0.0.0:8080
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
dotnet build src/Server/OpenChat.Server.csproj -c Release -nologo -v q
exec dotnet src/Server/bin/Release/net10.0/OpenChat.Server.dll --contentRoot "$(pwd)/src/Server/bin/Release/net10.0" "$@"
