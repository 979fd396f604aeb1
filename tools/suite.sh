#!/bin/bash
# The benchmark suite from one command: installs what it needs (Debian 12, as root), makes the data and teachers
# (tools/make_suite.py -> suite-data/, skipped for tasks already made), builds samples/Evidence and runs it.
#
#   tools/suite.sh                                   # the suite conditions on every task, 3 seeds -> evidence-output/
#   tools/suite.sh suite --tasks vehicle --seeds 1   # any Evidence arguments after the command
#   tools/suite.sh suite-grid --resume               # the grid for choosing the defaults
#   tools/suite.sh data-strategies --tasks satellite # the data strategies (docs/data-strategies.md)
#
# ARTIFACTS (default /tmp/art-suite) is the build's --artifacts-path. Run from anywhere.
set -euo pipefail
cd "$(dirname "$0")/.."
command="${1:-suite}"
shift || true

packages=(python3-torch python3-onnx python3-sklearn libopenblas0-pthread r-cran-mlbench dataset-fashion-mnist)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
fi

/usr/bin/python3 tools/make_suite.py --out suite-data

artifacts="${ARTIFACTS:-/tmp/art-suite}"
dotnet build -c Release samples/Evidence --artifacts-path "$artifacts"
dotnet "$artifacts/bin/Evidence/release/Evidence.dll" "$command" --data suite-data --output evidence-output --threads 1 "$@"
