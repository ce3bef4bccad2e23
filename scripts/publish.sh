#!/usr/bin/env bash
# Builds the embed CLI into a folder. The Dockerfile and embed.sh's local path both call this, so the image
# runs exactly what CI tests.
# Usage: scripts/publish.sh OUTPUT_DIR [extra dotnet publish arguments]
set -euo pipefail
out=${1:?usage: scripts/publish.sh OUTPUT_DIR [dotnet publish arguments]}
shift
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dotnet publish "$root/src/DuckEmbed.Cli/DuckEmbed.Cli.csproj" -c Release -o "$out" --nologo -v quiet \
  -p:UseAppHost=false "$@"
