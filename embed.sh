#!/usr/bin/env bash
# Embeds the texts named in config.json (see README). With Docker and the NVIDIA container runtime it runs the
# GPU image with this folder mounted at /data; otherwise (or with DUCKEMBED_LOCAL=1) it runs a local build.
# Arguments are passed to the embed CLI (e.g. --config other.json, --verbose). The exit code is the job's.
set -euo pipefail

BATCH_SIZE=${BATCH_SIZE:-32}
export BATCH_SIZE
IMAGE=${DUCKEMBED_IMAGE:-duckembed:0.1.0}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

echo "BATCH_SIZE=$BATCH_SIZE (set BATCH_SIZE to change it; ./check_benchmark.sh finds a good one for this machine)"

docker_with_gpu() {
  command -v docker >/dev/null 2>&1 || { echo "no docker command"; return 1; }
  docker info >/dev/null 2>&1 || { echo "no Docker engine answers"; return 1; }
  docker info --format '{{json .Runtimes}}' 2>/dev/null | grep -q nvidia \
    || { echo "Docker has no NVIDIA container runtime"; return 1; }
}

run_local() {
  local build="$here/.build/embed"
  local stamp="$build/.built"
  # Rebuild when any source is newer than the last build (a stamp: published files keep their compile times).
  if [[ ! -f "$stamp" ]] || [[ -n "$(find "$here/src" "$here/Directory.Build.props" "$here/Directory.Packages.props" -newer "$stamp" -print -quit)" ]]; then
    command -v dotnet >/dev/null 2>&1 || { echo "error: the local path needs the .NET 10 SDK (dotnet) on PATH, or Docker with the NVIDIA runtime." >&2; exit 1; }
    echo "Building the local embed CLI into .build/embed ..."
    "$here/scripts/publish.sh" "$build" >&2
    touch "$stamp"
  fi
  exec dotnet "$build/embed.dll" "$@"
}

if [[ "${DUCKEMBED_LOCAL:-}" == "1" ]]; then
  echo "Running locally (DUCKEMBED_LOCAL=1)."
  run_local "$@"
fi
if ! why=$(docker_with_gpu); then
  echo "Running locally on this machine: $why."
  run_local "$@"
fi

if ! docker image inspect "$IMAGE" >/dev/null 2>&1; then
  echo "Building the image $IMAGE ..."
  docker build -t "$IMAGE" "$here"
fi
exec docker run --rm --gpus all \
  --user "$(id -u):$(id -g)" \
  -v "$PWD":/data -w /data \
  -e BATCH_SIZE -e DEVICE \
  "$IMAGE" "$@"
