#!/bin/bash
# The binary, regression and ranking evidence from one command: installs what it needs (Debian 12, as root), makes the
# data and teachers (tools/make_task_data.py -> suite-data/tasks/, skipped for tasks already made), builds samples/Tasks
# and runs its evidence mode.
#
#   tools/task_suite.sh                              # every task, 3 seeds -> evidence-output/tasks-*.md
#   tools/task_suite.sh --tasks pima,boston --seeds 1  # any samples/Tasks evidence arguments
#
# ARTIFACTS (default /tmp/art-suite) is the build's --artifacts-path. Run from anywhere.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(python3-torch python3-onnx python3-sklearn libopenblas0-pthread r-cran-mlbench r-cran-aer dataset-fashion-mnist)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
fi

/usr/bin/python3 tools/make_task_data.py --out suite-data/tasks

artifacts="${ARTIFACTS:-/tmp/art-suite}"
dotnet build -c Release samples/Tasks --artifacts-path "$artifacts"
dotnet "$artifacts/bin/Tasks/release/Tasks.dll" --evidence "$@"   # defaults: --data suite-data/tasks --output evidence-output
