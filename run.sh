#!/usr/bin/env bash
# Runs the all-in-one server (every role in one process, SQLite under ./data) on http://127.0.0.1:8080.
# Extra arguments go to the server, e.g. ./run.sh --urls http://0.0.0.0:8080
set -euo pipefail
cd "$(dirname "$0")"
# As root on Debian it installs what is missing: Node.js (builds the web client) and libopus (native Opus codec).
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  missing=()
  command -v node >/dev/null 2>&1 || missing+=(nodejs npm)
  compgen -G "/usr/lib/*/libopus.so" >/dev/null || missing+=(libopus-dev)
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "Installing ${missing[*]}..."
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
fi
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
export OpenChat__DataDirectory="${OpenChat__DataDirectory:-$(pwd)/data}"
dotnet build src/Server/OpenChat.Server.csproj -c Release -nologo -v q
exec dotnet src/Server/bin/Release/net10.0/OpenChat.Server.dll --contentRoot "$(pwd)/src/Server/bin/Release/net10.0" "$@"
