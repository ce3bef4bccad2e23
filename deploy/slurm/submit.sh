#!/usr/bin/env bash
# Queues a DuckEmbed job on Slurm: an array of SHARDS tasks (at most PARALLEL at once, one GPU each), and the merge,
# which starts only after every task succeeded. Run from the folder that holds .build/embed (./embed.sh builds it),
# or set EMBED to the command that runs embed on the nodes (e.g. "apptainer exec --nv duckembed.sif /app/embed").
# Usage: deploy/slurm/submit.sh CONFIG SHARDS [PARALLEL]     Prints the array's and the merge's job ids.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
config=$(realpath "${1:?usage: submit.sh CONFIG SHARDS [PARALLEL]}")
shards=${2:?usage: submit.sh CONFIG SHARDS [PARALLEL]}
parallel=${3:-$shards}
mkdir -p logs
array=$(sbatch --parsable --array="0-$((shards - 1))%$parallel" --export="ALL,SHARDS=$shards,CONFIG=$config" "$here/embed-array.sbatch")
merge=$(sbatch --parsable --dependency="afterok:$array" --export="ALL,SHARDS=$shards,CONFIG=$config" "$here/merge.sbatch")
echo "array=$array merge=$merge"
