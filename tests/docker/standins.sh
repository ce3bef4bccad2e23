#!/usr/bin/env bash
# Makes this machine build and run the real Dockerfile without an image registry (none is reachable here):
#   1. installs Docker's engine and debootstrap from Debian's packages where they are needed and missing;
#   2. starts a Docker engine of its own (its own data root) if none answers, and says so on the last line;
#   3. makes a Debian base image offline with debootstrap from the mirror this machine's apt already uses;
#   4. tags stand-ins with the exact names the Dockerfile's FROM lines use, so `docker build` takes them without
#      pulling: the .NET SDK image = the base + this machine's .NET SDK and CA bundle; the CUDA runtime image = the
#      bare base (no CUDA, no .NET dependencies: the Dockerfile must install what the app needs, and the app must
#      say it runs on the CPU).
# Images and the debootstrap tree are cached in $DUCKEMBED_DOCKER_CACHE (default /var/cache/duckembed-docker).
# Usage: standins.sh            -> prints "engine=started" or "engine=running" last
#        standins.sh stop       -> stops the engine this script started
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cache=${DUCKEMBED_DOCKER_CACHE:-/var/cache/duckembed-docker}
base=duckembed-standin/debian:bookworm
pidfile=$cache/dockerd.pid

fail() { echo "standins: $*" >&2; exit 1; }

if [[ "${1:-}" == "stop" ]]; then
  pid=$(cat "$pidfile" 2>/dev/null || true)
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  fi
  rm -f "$pidfile"
  exit 0
fi

needs_root() { [[ $(id -u) -eq 0 ]] || fail "$1 needs root; run as root, or start a Docker engine this user may use"; }
mkdir -p "$cache" 2>/dev/null || needs_root "creating $cache"
export DEBIAN_FRONTEND=noninteractive

if ! docker info >/dev/null 2>&1 && ! command -v dockerd >/dev/null 2>&1; then
  needs_root "installing docker.io"
  echo "Installing docker.io with apt-get ..." >&2
  { apt-get install -y -qq docker.io || { apt-get update -qq && apt-get install -y -qq docker.io; }; } >&2 \
    || fail "apt-get could not install docker.io"
fi

engine=running
if ! docker info >/dev/null 2>&1; then
  needs_root "starting a Docker engine"
  echo "Starting a Docker engine (data root $cache/engine) ..." >&2
  dockerd --data-root "$cache/engine" -H unix:///var/run/docker.sock --pidfile "$pidfile" >"$cache/dockerd.log" 2>&1 &
  for _ in $(seq 60); do docker info >/dev/null 2>&1 && break; sleep 0.5; done
  docker info >/dev/null 2>&1 || fail "the Docker engine did not start: $(tail -3 "$cache/dockerd.log" | tr '\n' ' ')"
  engine=started
fi

if ! docker image inspect "$base" >/dev/null 2>&1; then
  if [[ ! -f "$cache/rootfs/etc/debian_version" ]]; then
    needs_root "debootstrap"
    if ! command -v debootstrap >/dev/null 2>&1; then
      { apt-get install -y -qq debootstrap || { apt-get update -qq && apt-get install -y -qq debootstrap; }; } >&2 \
        || fail "apt-get could not install debootstrap"
    fi
    mirror=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/*.sources 2>/dev/null || true)
    [[ -n "$mirror" ]] || mirror=$(awk '/^deb / { print $2; exit }' /etc/apt/sources.list 2>/dev/null || true)
    [[ -n "$mirror" ]] || fail "no Debian mirror found in this machine's apt sources"
    echo "Making a Debian base image with debootstrap (about 3 minutes) ..." >&2
    rm -rf "$cache/rootfs"
    debootstrap --variant=minbase bookworm "$cache/rootfs" "$mirror" >"$cache/debootstrap.log" 2>&1 \
      || fail "debootstrap failed: $(tail -3 "$cache/debootstrap.log" | tr '\n' ' ')"
  fi
  tar -C "$cache/rootfs" -c . | docker import - "$base" >/dev/null
fi

# The FROM lines of the real Dockerfile, read from it so that the stand-ins follow it.
sdk_image=$(awk '/^FROM .* AS build/ { print $2; exit }' "$root/Dockerfile")
runtime_image=$(awk '/^FROM / { image = $2 } END { print image }' "$root/Dockerfile")
[[ -n "$sdk_image" && -n "$runtime_image" ]] || fail "cannot read the FROM lines of $root/Dockerfile"

if ! docker image inspect "$sdk_image" >/dev/null 2>&1; then
  dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
  [[ -x "$dotnet_root/dotnet" ]] || fail "no .NET SDK on this machine to put in the SDK stand-in"
  context=$(mktemp -d)
  trap 'rm -rf "$context"' EXIT
  cp -a "$dotnet_root" "$context/dotnet"
  # HTTPS from containers goes through this machine's trust store, as the host's own restores do.
  cp "${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}" "$context/ca-certificates.crt"
  cat >"$context/Dockerfile" <<DOCKERFILE
FROM $base
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates libicu72 libssl3 zlib1g && rm -rf /var/lib/apt/lists/*
COPY dotnet /usr/share/dotnet
COPY ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
RUN ln -s /usr/share/dotnet/dotnet /usr/bin/dotnet
ENV DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 NUGET_CERT_REVOCATION_MODE=offline
DOCKERFILE
  echo "Making the SDK stand-in $sdk_image ..." >&2
  docker build -q -t "$sdk_image" "$context" >&2 || fail "building the SDK stand-in failed"
fi
docker image inspect "$runtime_image" >/dev/null 2>&1 || docker tag "$base" "$runtime_image"
echo "engine=$engine"
