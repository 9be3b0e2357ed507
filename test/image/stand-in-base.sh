#!/usr/bin/env bash
# Makes a local stand-in for an official node:<version>-bookworm-slim image, for building the Dockerfile where no
# image registry is reachable: Debian bookworm from Debian packages (mmdebstrap), the official Node binary from
# the npm registry (scripts/use-node.sh) and the npm CLI from the npm registry, tagged with the base's name.
#
#   test/image/stand-in-base.sh docker.io/library/node:24.22.3-bookworm-slim
set -euo pipefail
cd "$(dirname "$0")/../.."

name="${1:?usage: stand-in-base.sh IMAGE_NAME (e.g. docker.io/library/node:24.22.3-bookworm-slim)}"
node_version="$(sed -E 's/.*:([0-9]+\.[0-9]+\.[0-9]+)-.*/\1/' <<<"$name")"
npm_version="${STAND_IN_NPM_VERSION:-11.19.1}"

work="$(mktemp -d)"
ctr=""
cleanup() {
  [ -n "$ctr" ] && buildah rm "$ctr" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

echo "stand-in-base: Debian bookworm (mmdebstrap), Node $node_version and npm $npm_version from the npm registry" >&2
mmdebstrap --quiet --variant=minbase --include=ca-certificates bookworm "$work/rootfs.tar"
node_bin="$(scripts/use-node.sh "$node_version" sh -c 'command -v node')"
(cd "$work" && npm pack --silent "npm@$npm_version" >/dev/null && mkdir npm && tar -xzf npm-"$npm_version".tgz -C npm --strip-components=1)

ctr="$(buildah from scratch)"
buildah add --quiet "$ctr" "$work/rootfs.tar" / >/dev/null
buildah copy --quiet "$ctr" "$node_bin" /usr/local/bin/node >/dev/null
buildah copy --quiet "$ctr" "$work/npm" /usr/local/lib/node_modules/npm >/dev/null
# The machine's CA bundle, for machines whose outbound TLS goes through an inspecting proxy (npm ci in the build).
host_ca="${NODE_EXTRA_CA_CERTS:-${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}}"
extra_ca=()
if [ -f "$host_ca" ]; then
  buildah copy --quiet "$ctr" "$host_ca" /usr/local/share/stand-in/host-ca.crt >/dev/null
  extra_ca=(--env NODE_EXTRA_CA_CERTS=/usr/local/share/stand-in/host-ca.crt)
fi
buildah run --isolation=chroot "$ctr" -- sh -c '
  ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm &&
  ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx &&
  node --version && npm --version >/dev/null'
buildah config \
  --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  --env NODE_VERSION="$node_version" \
  "${extra_ca[@]}" \
  --label attestd.stand-in=true \
  --cmd node "$ctr"
buildah commit --quiet --rm "$ctr" "$name" >/dev/null
ctr=""
echo "stand-in-base: $name ready" >&2
