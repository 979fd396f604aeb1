#!/usr/bin/env bash
# The teacher pass over the full Fashion-MNIST training set (60,000 rows, Debian's dataset-fashion-mnist) by one process
# and by two shard processes plus the merge, three alternating repeats, each process under /usr/bin/time; then one student
# trained on the merged soft labels. The numbers in docs/scale.md ("Run it: two processes on one machine").
# Usage: tools/shard_timing.sh [WORKDIR]      (build first: dotnet build samples/Scale -c Release)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
work=${1:-$(mktemp -d)}
app="dotnet $repo/samples/Scale/bin/Release/net10.0/Scale.dll"
timed="/usr/bin/time -f %e_s_wall_%U_s_user_%S_s_sys"
data=/usr/share/datasets/fashion-mnist
for rep in 1 2 3; do
  rm -rf "$work/one" "$work/two"
  echo "rep $rep load $(cut -d' ' -f1-3 /proc/loadavg)"
  s=$(date +%s.%N); $timed $app --data $data --shard 0/1 --out "$work/one"; e=$(date +%s.%N)
  echo "rep $rep one-process wall $(echo "$e - $s" | bc)"
  s=$(date +%s.%N)
  $timed $app --data $data --shard 0/2 --out "$work/two" & p0=$!
  $timed $app --data $data --shard 1/2 --out "$work/two" & p1=$!
  wait $p0; wait $p1
  $timed $app --data $data --merge 2 --out "$work/two"
  e=$(date +%s.%N)
  echo "rep $rep two-process+merge wall $(echo "$e - $s" | bc)"
done
$timed $app --data $data --train --out "$work/two"
echo "end load $(cut -d' ' -f1-3 /proc/loadavg)"
rm -rf "$work/one" "$work/two"
