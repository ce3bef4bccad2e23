#!/usr/bin/env bash
# Runs one task of a DuckEmbed array again (it failed, or was cancelled: scancel ARRAY_TASK) and has the merge wait
# for it. The task resumes its own shard file, so nothing is lost or written twice. Slurm will not count a
# cancelled task as "ok" again, so the merge's dependency is set to every task by name (the rerun among them).
# Usage: deploy/slurm/requeue.sh ARRAY_JOB TASK MERGE_JOB SHARDS
set -euo pipefail
array=${1:?usage: requeue.sh ARRAY_JOB TASK MERGE_JOB SHARDS}
task=${2:?usage: requeue.sh ARRAY_JOB TASK MERGE_JOB SHARDS}
merge=${3:?usage: requeue.sh ARRAY_JOB TASK MERGE_JOB SHARDS}
shards=${4:?usage: requeue.sh ARRAY_JOB TASK MERGE_JOB SHARDS}
scontrol requeue "${array}_${task}"
# Slurm holds a requeued job for a while before it is eligible again; there is no reason to wait here.
scontrol update JobId="${array}_${task}" StartTime=now
tasks=$(seq -s : -f "${array}_%g" 0 $((shards - 1)))
scontrol update JobId="$merge" Dependency="afterok:$tasks"
