# Sourced by embed.sh and check_benchmark.sh: runs the embed CLI in the GPU container when Docker can pass the GPUs
# in (or DUCKEMBED_DOCKER=1 asks for the container on the CPU), else from a local build.
# Both scripts so take the same path.
# shellcheck shell=bash

DUCKEMBED_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
IMAGE=${DUCKEMBED_IMAGE:-duckembed:0.1.0}
# CUDA 13 (the image's ONNX Runtime) needs an NVIDIA driver of this branch or newer.
MIN_DRIVER_MAJOR=580

# Prints why the container cannot be used, and fails; succeeds silently when it can. Whether Docker can hand the
# GPUs to a container is tried (docker run --gpus), not guessed from its runtime list: the NVIDIA container toolkit
# works through --gpus without registering a runtime in daemon.json.
container_unavailable_reason() {
  if [[ "${DUCKEMBED_LOCAL:-}" == "1" ]]; then echo "DUCKEMBED_LOCAL=1"; return 0; fi
  command -v docker >/dev/null 2>&1 || { echo "no docker command"; return 0; }
  docker info >/dev/null 2>&1 || { echo "no Docker engine answers"; return 0; }
  [[ "${DUCKEMBED_DOCKER:-}" == "1" ]] && return 1
  if ! command -v nvidia-smi >/dev/null 2>&1 && ! docker info --format '{{json .Runtimes}}' 2>/dev/null | grep -q nvidia; then
    echo "no NVIDIA GPU here (no nvidia-smi, and Docker has no NVIDIA runtime; DUCKEMBED_DOCKER=1 runs the image on the CPU)"
    return 0
  fi
  local driver
  driver=$(nvidia-smi --query-gpu=driver_version --format=csv,noheader 2>/dev/null | head -n 1 || true)
  if [[ -n "$driver" && ${driver%%.*} -lt $MIN_DRIVER_MAJOR ]]; then
    echo "the NVIDIA driver is $driver; the image's CUDA 13 needs $MIN_DRIVER_MAJOR or newer (update the driver, or DUCKEMBED_DOCKER=1 for the image on the CPU)"
    return 0
  fi
  ensure_image
  local tried
  if ! tried=$(docker run --rm "${GPUS[@]}" --entrypoint true "$IMAGE" 2>&1); then
    echo "docker run ${GPUS[*]} does not work here (${tried%%$'\n'*}): the NVIDIA container toolkit is missing or not set up (DUCKEMBED_DOCKER=1 runs the image on the CPU)"
    return 0
  fi
  return 1
}

# The --gpus argument for CUDA_VISIBLE_DEVICES, which means nothing inside a container given every GPU: device
# numbers or GPU-/MIG- UUIDs, separated by commas. Sets GPUS; refuses what docker could not pass (e.g. -1, "none").
GPUS=(--gpus all)
choose_gpus() {
  local visible=${CUDA_VISIBLE_DEVICES-}
  [[ -z "${CUDA_VISIBLE_DEVICES+set}" ]] && return 0
  if [[ ! "$visible" =~ ^(([0-9]+|GPU-[0-9A-Fa-f-]+|MIG-[0-9A-Za-z/-]+),)*([0-9]+|GPU-[0-9A-Fa-f-]+|MIG-[0-9A-Za-z/-]+)$ ]]; then
    echo "error: CUDA_VISIBLE_DEVICES='$visible' names no GPU docker can pass in (device numbers or GPU UUIDs, e.g. 0,1); unset it for every GPU, or DUCKEMBED_LOCAL=1 / DUCKEMBED_DOCKER=1 to run on the CPU." >&2
    exit 1
  fi
  GPUS=(--gpus "\"device=$visible\"")
}

ensure_image() {
  if ! docker image inspect "$IMAGE" >/dev/null 2>&1; then
    echo "Building the image $IMAGE ..." >&2
    docker build -t "$IMAGE" "$DUCKEMBED_ROOT" >&2
  fi
}

run_local() {
  local build="$DUCKEMBED_ROOT/.build/embed"
  local stamp="$build/.built"
  # Rebuild when any source is newer than the last build (a stamp: published files keep their compile times).
  if [[ ! -f "$stamp" ]] || [[ -n "$(find "$DUCKEMBED_ROOT/src" "$DUCKEMBED_ROOT/example" "$DUCKEMBED_ROOT/Directory.Build.props" "$DUCKEMBED_ROOT/Directory.Packages.props" -newer "$stamp" -print -quit)" ]]; then
    command -v dotnet >/dev/null 2>&1 || { echo "error: running locally needs the .NET 10 SDK (dotnet) on PATH, or Docker with the NVIDIA runtime." >&2; exit 1; }
    echo "Building the local embed CLI into .build/embed ..." >&2
    "$DUCKEMBED_ROOT/scripts/publish.sh" "$build" >&2
    mkdir -p "$build" && touch "$stamp"
  fi
  exec dotnet "$build/embed.dll" "$@"
}

# The folder mounted at /data: the config's folder (relative paths in a config resolve against it).
# Sets DATA_DIR, and CONTAINER_ARGS to the arguments with --config rewritten to its place inside /data.
CONTAINER_ARGS=()
DATA_DIR=$PWD
map_config_into_container() {
  local config="" args=("$@") i
  CONTAINER_ARGS=()
  for ((i = 0; i < ${#args[@]}; i++)); do
    case ${args[i]} in
      --config | -c) config=${args[i + 1]:-}; i=$((i + 1)) ;;
      --config=*) config=${args[i]#--config=} ;;
      *) CONTAINER_ARGS+=("${args[i]}") ;;
    esac
  done
  if [[ -z "$config" ]]; then
    # embed benchmark without a config measures the bundled example.
    [[ ! -f config.json && "${args[0]:-}" == benchmark ]] && return 0
    config=config.json
  fi
  if [[ ! -f "$config" ]]; then
    echo "error: --config: $config not found. Create a config.json (see README) or pass --config PATH." >&2
    exit 1
  fi
  DATA_DIR=$(cd "$(dirname "$config")" && pwd)
  # Only the config's folder is visible in the container: a path out of it would fail there, under a name the
  # user never typed. Say so here instead.
  local outside
  outside=$(grep -oE '"(input_db_path|output_db_path|model_path)"[[:space:]]*:[[:space:]]*"(/|\.\./|~)[^"]*"' "$config" | head -n 1 || true)
  if [[ -n "$outside" ]]; then
    echo "error: $config: $outside is outside the config's folder, the only folder the container sees (at /data). Use a path relative to the config file, or DUCKEMBED_LOCAL=1 to run locally." >&2
    exit 1
  fi
  CONTAINER_ARGS+=(--config "/data/$(basename "$config")")
}

run_container() {
  ensure_image
  map_config_into_container "$@"
  local gpus=() terminal=()
  [[ "${DUCKEMBED_DOCKER:-}" != "1" ]] && gpus=("${GPUS[@]}")
  # A terminal for the container when this script has one, so that the progress is a live line there too.
  [[ -t 1 ]] && terminal=(-t)
  exec docker run --rm "${gpus[@]}" "${terminal[@]}" \
    --user "$(id -u):$(id -g)" \
    -v "$DATA_DIR":/data -w /data \
    -e BATCH_SIZE -e DEVICE -e DUCKEMBED_PLAIN \
    "$IMAGE" "${CONTAINER_ARGS[@]}"
}

# Runs the CLI with these arguments in the container or locally, saying which in one line.
run_embed_cli() {
  local reason
  [[ "${DUCKEMBED_LOCAL:-}" == "1" || "${DUCKEMBED_DOCKER:-}" == "1" ]] || choose_gpus
  if reason=$(container_unavailable_reason); then
    echo "Running locally: $reason." >&2
    run_local "$@"
  fi
  if [[ "${DUCKEMBED_DOCKER:-}" == "1" ]]; then
    echo "Running in the container $IMAGE on the CPU (DUCKEMBED_DOCKER=1, no GPU passed in), with the config's folder mounted at /data." >&2
  else
    echo "Running in the GPU container $IMAGE (GPUs: ${CUDA_VISIBLE_DEVICES:-all}), with the config's folder mounted at /data." >&2
  fi
  run_container "$@"
}
