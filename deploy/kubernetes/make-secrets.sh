#!/usr/bin/env bash
# Makes the secret files an overlay's secretGenerator reads, in DIR (the overlay's secrets/ folder):
#   make-secrets.sh [--single-node] DIR
# cluster (default): signing-key, admin-key, cluster.pfx, cluster-password, postgres-password, turn-secret,
#                    database-connection-string (for the PostgreSQL StatefulSet of the overlay; for a server of your
#                    own, replace that file's content with its connection string)
# --single-node:     admin-key
# Existing files are kept, so running it again only adds what is missing (delete a file to make it anew; see
# docs/kubernetes.md for rotating the cluster certificate without downtime). The files are readable by you only;
# never commit them (deploy/kubernetes/.gitignore ignores secrets/).
# The cluster certificate is made by the server itself: set OPENCHAT_SERVER_DLL to a built OpenChat.Server.dll, or
# OPENCHAT_IMAGE to the server's image and have docker or podman on the path.
set -euo pipefail
single=0
if [ "${1:-}" = "--single-node" ]; then single=1; shift; fi
if [ $# -ne 1 ]; then echo "usage: $0 [--single-node] DIR" >&2; exit 2; fi
dir="$1"
umask 077
mkdir -p "$dir"
command -v openssl >/dev/null || { echo "$0: openssl is needed" >&2; exit 1; }

make() { # make NAME COMMAND...: writes the command's output to DIR/NAME unless it exists
  local name="$1"; shift
  if [ -e "$dir/$name" ]; then echo "kept    $dir/$name"; return; fi
  "$@" > "$dir/$name.tmp" && mv "$dir/$name.tmp" "$dir/$name"
  echo "made    $dir/$name"
}
random() { openssl rand -"$1" "$2" | tr -d '\n'; }

make admin-key random base64 32
[ "$single" = 1 ] && exit 0

make signing-key random base64 32
make cluster-password random hex 24
make postgres-password random hex 24
make turn-secret random hex 32
make database-connection-string sh -c "printf 'Host=openchat-postgres;Database=openchat;Username=openchat;Password=%s' \"\$(cat '$dir/postgres-password')\""

if [ -e "$dir/cluster.pfx" ]; then
  echo "kept    $dir/cluster.pfx"
else
  password="$(cat "$dir/cluster-password")"
  if [ -n "${OPENCHAT_SERVER_DLL:-}" ]; then
    dotnet "$OPENCHAT_SERVER_DLL" cluster-cert --out "$dir/cluster.pfx" --password "$password"
  elif [ -n "${OPENCHAT_IMAGE:-}" ]; then
    engine="$(command -v docker || command -v podman || true)"
    [ -n "$engine" ] || { echo "$0: OPENCHAT_IMAGE is set but neither docker nor podman is on the path" >&2; exit 1; }
    out="$(cd "$dir" && pwd)"
    "$engine" run --rm --user "$(id -u):$(id -g)" -v "$out:/out" "$OPENCHAT_IMAGE" cluster-cert --out /out/cluster.pfx --password "$password"
  else
    echo "$0: set OPENCHAT_SERVER_DLL (a built OpenChat.Server.dll) or OPENCHAT_IMAGE (the server's image) to make cluster.pfx" >&2
    exit 1
  fi
fi
