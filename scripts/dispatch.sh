# Sourced by embed.sh and check_benchmark.sh: runs the embed CLI in the GPU container when Docker and the NVIDIA
# container runtime are there, else from a local build. Both scripts so take the same path.
# shellcheck shell=bash

DUCKEMBED_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
IMAGE=${DUCKEMBED_IMAGE:-duckembed:0.1.0}

# Prints why the container cannot be used, and fails; succeeds silently when it can.
container_unavailable_reason() {
  if [[ "${DUCKEMBED_LOCAL:-}" == "1" ]]; then echo "DUCKEMBED_LOCAL=1"; return 0; fi
  command -v docker >/dev/null 2>&1 || { echo "no docker command"; return 0; }
  docker info >/dev/null 2>&1 || { echo "no Docker engine answers"; return 0; }
  docker info --format '{{json .Runtimes}}' 2>/dev/null | grep -q nvidia \
    || { echo "Docker has no NVIDIA container runtime"; return 0; }
  return 1
}

run_local() {
  local build="$DUCKEMBED_ROOT/.build/embed"
  local stamp="$build/.built"
  # Rebuild when any source is newer than the last build (a stamp: published files keep their compile times).
  if [[ ! -f "$stamp" ]] || [[ -n "$(find "$DUCKEMBED_ROOT/src" "$DUCKEMBED_ROOT/example" "$DUCKEMBED_ROOT/Directory.Build.props" "$DUCKEMBED_ROOT/Directory.Packages.props" -newer "$stamp" -print -quit)" ]]; then
    command -v dotnet >/dev/null 2>&1 || { echo "error: running locally needs the .NET 10 SDK (dotnet) on PATH, or Docker with the NVIDIA runtime." >&2; exit 1; }
    echo "Building the local embed CLI into .build/embed ..."
    "$DUCKEMBED_ROOT/scripts/publish.sh" "$build" >&2
    mkdir -p "$build" && touch "$stamp"
  fi
  exec dotnet "$build/embed.dll" "$@"
}

run_container() {
  if ! docker image inspect "$IMAGE" >/dev/null 2>&1; then
    echo "Building the image $IMAGE ..."
    docker build -t "$IMAGE" "$DUCKEMBED_ROOT"
  fi
  exec docker run --rm --gpus all \
    --user "$(id -u):$(id -g)" \
    -v "$PWD":/data -w /data \
    -e BATCH_SIZE -e DEVICE \
    "$IMAGE" "$@"
}

# Runs the CLI with these arguments in the container or locally, saying which in one line.
run_embed_cli() {
  local reason
  if reason=$(container_unavailable_reason); then
    echo "Running locally: $reason."
    run_local "$@"
  fi
  echo "Running in the GPU container $IMAGE with $PWD mounted at /data."
  run_container "$@"
}
