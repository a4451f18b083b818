# Sourced by run.sh and test.sh: makes sure Node.js 20.19 or later (what the web client's build, Vite 8, needs) is
# on the PATH. As root on Debian it installs the distribution's nodejs package when that one is recent enough;
# otherwise it says what to do and stops.
node_minimum="20.19.0"

node_version_ok() {
  local version
  version="$(node --version 2>/dev/null)" || return 1
  version="${version#v}"
  [ "$(printf '%s\n%s\n' "$node_minimum" "$version" | sort -V | head -n 1)" = "$node_minimum" ]
}

if ! node_version_ok && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  apt-get update -qq
  candidate="$(apt-cache policy nodejs 2>/dev/null | sed -n 's/^ *Candidate: *//p' | sed 's/^[0-9]*://; s/[-+~].*//')"
  if [ -n "$candidate" ] && [ "$candidate" != "(none)" ] \
     && [ "$(printf '%s\n%s\n' "$node_minimum" "$candidate" | sort -V | head -n 1)" = "$node_minimum" ]; then
    echo "Installing Node.js $candidate..."
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null || true
  fi
fi

if ! node_version_ok; then
  found="$(node --version 2>/dev/null || echo "none")"
  echo "The web client's build needs Node.js $node_minimum or later with npm; found: $found." >&2
  echo "Debian 12's own nodejs package is 18, too old. Install a Node.js 20.19+ (or 22) release from the Node.js" >&2
  echo "project's Debian packages or a version manager, make sure 'node' and 'npm' on the PATH are that one, and run this again." >&2
  echo "(A machine without Node.js can still run a server whose web client was built elsewhere: -p:WebClientSkipBuild=true, see docs/web.md.)" >&2
  return 1 2>/dev/null || exit 1
fi
