#!/usr/bin/env bash
# Runs a command (or prints a PATH line) with a Node.js release from the npm registry, without root and
# without a version manager: the official binary ships as the npm package node-linux-<arch>.
#
#   scripts/use-node.sh 24 npm test          # run `npm test` on Node 24 (the version pinned below)
#   scripts/use-node.sh 22.23.5 node -v       # any exact version
#   eval "$(scripts/use-node.sh 24)"          # put it first on PATH in this shell (.ci/run does this)
#
# Binaries are kept under ${ATTESTD_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/attestd/node}/<version>
# (outside the repository). The npm CLI is not in that package: the machine's npm runs on the new node.
set -euo pipefail

want="${1:-24}"
[ $# -gt 0 ] && shift
# The releases CI and the image use; a bare major picks these.
case "$want" in
  24) version=24.22.3 ;;
  22) version=22.23.5 ;;
  *[!0-9.]* | '') echo "use-node.sh: expected a major (22, 24) or an exact version, got \"$want\"" >&2 && exit 2 ;;
  *.*.*) version="$want" ;;
  *) echo "use-node.sh: no pinned release for Node $want: give an exact version such as $want.0.0" >&2 && exit 2 ;;
esac

case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "use-node.sh: no Node package for machine $(uname -m)" >&2 && exit 2 ;;
esac

cache="${ATTESTD_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/attestd/node}"
dir="$cache/$version"
if [ ! -x "$dir/bin/node" ]; then
  mkdir -p "$cache"
  tmp="$(mktemp -d "$cache/.download.XXXXXX")"
  trap 'rm -rf "$tmp"' EXIT
  echo "use-node.sh: fetching node-linux-$arch@$version from the npm registry" >&2
  (cd "$tmp" && npm pack --silent "node-linux-$arch@$version" >/dev/null)
  tar -xzf "$tmp"/node-linux-"$arch"-"$version".tgz -C "$tmp"
  "$tmp/package/bin/node" --version >/dev/null
  rm -rf "$dir"
  mv "$tmp/package" "$dir"
  rm -rf "$tmp"
  trap - EXIT
fi

if [ $# -eq 0 ]; then
  printf 'export PATH=%q:"$PATH"\n' "$dir/bin"
else
  PATH="$dir/bin:$PATH" exec "$@"
fi
