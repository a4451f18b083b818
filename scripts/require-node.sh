# Sourced by run.sh and test.sh: makes sure a Node.js the web client's build (Vite 8) supports is on the PATH:
# 20.19 or later in the 20 line, or 22.12 or later (src/Web/package.json's "engines"). As root on Debian it
# installs the distribution's nodejs package when that one is recent enough; otherwise it says what to do and stops.

# Whether version $1 (x.y.z) is in ^20.19.0 || >=22.12.0.
node_supported() {
  local at_least
  at_least() { [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n 1)" = "$1" ]; }
  case "$1" in
    20.*) at_least 20.19.0 "$1" ;;
    *) at_least 22.12.0 "$1" ;;
  esac
}

node_version_ok() {
  local version
  version="$(node --version 2>/dev/null)" || return 1
  node_supported "${version#v}"
}

if ! node_version_ok && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  apt-get update -qq
  candidate="$(apt-cache policy nodejs 2>/dev/null | sed -n 's/^ *Candidate: *//p' | sed 's/^[0-9]*://; s/[-+~].*//')"
  if [ -n "$candidate" ] && [ "$candidate" != "(none)" ] && node_supported "$candidate"; then
    echo "Installing Node.js $candidate..."
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null || true
  fi
fi

if ! node_version_ok; then
  found="$(node --version 2>/dev/null || echo "none")"
  echo "The web client's build needs Node.js 20.19+ (or 22.12+) with npm; found: $found." >&2
  echo "Debian 12's own nodejs package is 18, too old. Install a Node.js 20.19+ or 22.12+ release from the Node.js" >&2
  echo "project's Debian packages or a version manager, make sure 'node' and 'npm' on the PATH are that one, and run this again." >&2
  echo "(A machine without Node.js can still run a server whose web client was built elsewhere: -p:WebClientSkipBuild=true, see docs/web.md.)" >&2
  return 1 2>/dev/null || exit 1
fi
