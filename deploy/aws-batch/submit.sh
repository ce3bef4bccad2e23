#!/usr/bin/env bash
# Submits the array job (AWS Batch sets AWS_BATCH_JOB_ARRAY_INDEX in each child, which embed reads as the shard)
# and the merge, which depends on the whole array. Needs the job definition registered
# (aws batch register-job-definition --cli-input-json file://job-definition.json) and a GPU job queue.
# Usage: deploy/aws-batch/submit.sh QUEUE SHARDS
set -euo pipefail
queue=${1:?usage: submit.sh QUEUE SHARDS}
shards=${2:?usage: submit.sh QUEUE SHARDS}
array=$(aws batch submit-job --job-name duckembed --job-queue "$queue" --job-definition duckembed \
  --array-properties "size=$shards" \
  --container-overrides "command=--config,/data/config.json,--shards,$shards" --query jobId --output text)
aws batch submit-job --job-name duckembed-merge --job-queue "$queue" --job-definition duckembed \
  --depends-on "jobId=$array" \
  --container-overrides "command=merge,--config,/data/config.json,--shards,$shards" --query jobId --output text
