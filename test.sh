#!/usr/bin/env bash
# Runs the whole test suite and ends with one line: "N passed, N failed, N skipped".
#   ./test.sh           the whole suite, as CI runs it
#   ./test.sh --quick   without the tests that need Docker, Slurm or npm (Trait "Needs"): the inner loop
set -uo pipefail
filter=()
if [[ "${1:-}" == "--quick" ]]; then
  filter=(--filter "Needs!=Docker&Needs!=Slurm&Needs!=npm")
fi
root=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# The script tests run shellcheck (a Debian package): install it where this user can.
if ! command -v shellcheck >/dev/null 2>&1 && [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing shellcheck with apt-get ..."
  { apt-get install -y -qq shellcheck || { apt-get update -qq && apt-get install -y -qq shellcheck; }; } >/dev/null 2>&1
fi

dotnet test "$root/DuckEmbed.slnx" --nologo "${filter[@]}" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# dotnet test prints one "Passed!/Failed!  - Failed: F, Passed: P, Skipped: S, Total: T" line per test project.
read -r passed failed skipped projects < <(grep -aE '(Passed|Failed)! +- Failed: ' "$log" | awk -F'[:,]' '
  { failed += $2; passed += $4; skipped += $6; n++ } END { print passed + 0, failed + 0, skipped + 0, n + 0 }')
expected=$(grep -c '<Project Path="tests/' "$root/DuckEmbed.slnx")
if [[ $projects -ne $expected ]]; then
  echo "error: $projects of $expected test projects reported results (a build error or a crashed test host?)" >&2
  status=1
fi
if [[ $status -eq 0 && $passed -eq 0 ]]; then
  echo "error: no test ran" >&2
  status=1
fi
echo "$passed passed, $failed failed, $skipped skipped"
exit "$status"
