#!/usr/bin/env bash
# Builds attestd's image from the Dockerfile (`npm run image:build`) with docker, podman or buildah, whichever
# is installed (IMAGE_BUILDER=docker|podman|buildah picks one). Tags attestd:<version> unless IMAGE is set.
# Extra arguments go to the builder, e.g. `npm run image:build -- --platform linux/arm64`.
set -euo pipefail
cd "$(dirname "$0")/.."

version="$(node -p 'require("./package.json").version')"
image="${IMAGE:-attestd:$version}"
revision="$(git rev-parse HEAD 2>/dev/null || echo unknown)"
source_url="$(git config --get remote.origin.url 2>/dev/null || true)"

builder="${IMAGE_BUILDER:-}"
if [ -z "$builder" ]; then
  for candidate in docker podman buildah; do
    if command -v "$candidate" >/dev/null 2>&1; then builder="$candidate" && break; fi
  done
fi
case "$builder" in
  docker | podman) build=("$builder" build) ;;
  buildah) build=(buildah bud) ;;
  '') echo "build-image.sh: install docker, podman or buildah to build the image" >&2 && exit 2 ;;
  *) echo "build-image.sh: IMAGE_BUILDER must be docker, podman or buildah, got \"$builder\"" >&2 && exit 2 ;;
esac

echo "build-image.sh: ${build[*]} -t $image (version $version, revision $revision)" >&2
exec "${build[@]}" \
  --build-arg VERSION="$version" \
  --build-arg REVISION="$revision" \
  --build-arg SOURCE_URL="$source_url" \
  -t "$image" \
  "$@" \
  -f Dockerfile .
