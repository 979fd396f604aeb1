#!/usr/bin/env bash
# Packs MLNet.Distillation, MLNet.Distillation.Reporting, MLNet.Distillation.Parquet and the mlnet-distill tool as a CI
# build would publish them, checks what a consumer gets (symbols, SourceLink, repository commit, a README without relative
# links, no ScottPlot and no Parquet library in the core, Parquet.Net in the Parquet package, the buildTransitive step),
# then, offline — from the local folder feed and the NuGet cache only:
#   1. builds the README's C# blocks as a fresh app against the packages and runs it on the bundled wine teacher
#      (tools/ci/consumer-app.sh);
#   2. installs the packed tool and runs mlnet-distill label, train, report and export on the same data.
# Usage: tools/ci/packages.sh WORKDIR        (.ci/run calls it; 5-8 minutes on the loaded 2-core machine)
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mkdir -p "$1" && cd "$1" && pwd)
cache=${NUGET_PACKAGES:-$HOME/.nuget/packages}
# A version of its own per run, so that no package of an earlier run in the NuGet cache stands in for this one.
version="$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' "$repo/Directory.Build.props")-ci.$(date -u +%Y%m%d%H%M%S)"
feed="$work/feed"
mkdir -p "$feed"
cleanup() { rm -rf "$cache"/mlnet.distillation*/"$version"; }
trap cleanup EXIT
fail() { echo "packages: $*" >&2; exit 1; }

step() { echo "== $1 ($(date -u +%H:%M:%S))"; }
step "pack $version"
for project in MLNet.Distillation MLNet.Distillation.Reporting MLNet.Distillation.Parquet MLNet.Distillation.Cli; do
  dotnet pack "$repo/src/$project" -c Release -o "$feed" --artifacts-path "$work/artifacts" \
    -p:Version="$version" -p:ContinuousIntegrationBuild=true -nologo -v:q
done

step "check the packages"
for id in MLNet.Distillation MLNet.Distillation.Reporting MLNet.Distillation.Parquet MLNet.Distillation.Cli; do
  nupkg="$feed/$id.$version.nupkg"
  [ -f "$nupkg" ] || fail "$id: no .nupkg"
  [ -f "$feed/$id.$version.snupkg" ] || fail "$id: no .snupkg (symbols)"
  nuspec=$(unzip -p "$nupkg" "$id.nuspec")
  echo "$nuspec" | grep -Eq '<repository type="git" url="https://[^"]+" [^>]*commit="[0-9a-f]{40}"' || fail "$id: the nuspec has no repository URL with a commit"
  echo "$nuspec" | grep -q '<readme>README.md</readme>' || fail "$id: no package README"
  readme=$(unzip -p "$nupkg" README.md)
  if echo "$readme" | grep -Eq '\]\((\.|docs/|[A-Za-z0-9_-]+\.md)'; then fail "$id: the package README has relative links: $(echo "$readme" | grep -Eo '\]\([^h#)][^)]*\)' | head -3)"; fi
done
core=$(unzip -p "$feed/MLNet.Distillation.$version.nupkg" MLNet.Distillation.nuspec)
if echo "$core" | grep -qi scottplot; then fail "MLNet.Distillation depends on ScottPlot"; fi
if echo "$core" | grep -qi parquet; then fail "MLNet.Distillation depends on a Parquet library"; fi
parquet=$(unzip -p "$feed/MLNet.Distillation.Parquet.$version.nupkg" MLNet.Distillation.Parquet.nuspec)
echo "$parquet" | grep -q '<dependency id="Parquet.Net" version="6.1.0"' || fail "MLNet.Distillation.Parquet does not depend on Parquet.Net 6.1.0"
echo "$parquet" | grep -q "<dependency id=\"MLNet.Distillation\" version=\"$version\"" || fail "MLNet.Distillation.Parquet does not depend on MLNet.Distillation $version"
# grep without -q: it reads the whole listing, so unzip never dies of a closed pipe (set -o pipefail).
unzip -l "$feed/MLNet.Distillation.Parquet.$version.nupkg" | grep 'lib/net10.0/MLNet.Distillation.Parquet.xml' > /dev/null || fail "MLNet.Distillation.Parquet has no XML documentation"
unzip -l "$feed/MLNet.Distillation.$version.nupkg" | grep -q 'buildTransitive/MLNet.Distillation.targets' || fail "MLNet.Distillation has no buildTransitive/MLNet.Distillation.targets"
pdb=$(unzip -p "$feed/MLNet.Distillation.$version.snupkg" lib/net10.0/MLNet.Distillation.pdb | strings -n 8)
echo "$pdb" | grep -q 'raw.githubusercontent.com' || fail "MLNet.Distillation.pdb has no SourceLink"
if echo "$pdb" | grep -qF "$repo/"; then fail "MLNet.Distillation.pdb records the build folder $repo (not a deterministic CI build)"; fi
ls -l "$feed" | awk 'NR > 1 {printf "  %12d  %s\n", $5, $9}'

step "README app from the packages"
"$repo/tools/ci/consumer-app.sh" "$feed" "$version" "$work/consumer"

step "mlnet-distill from its package"
tool="$work/tool"
cat > "$work/nuget.config" <<CONFIG
<?xml version="1.0" encoding="utf-8"?>
<configuration><packageSources><clear /><add key="local" value="$feed" /></packageSources></configuration>
CONFIG
dotnet tool install MLNet.Distillation.Cli --version "$version" --tool-path "$tool/bin" --configfile "$work/nuget.config"
run="$tool/run"
mkdir -p "$run"
fixtures="$repo/tests/MLNet.Distillation.Tests/Fixtures"
awk -F, 'NR == 1 || $NF == "train"' "$fixtures/wine.csv" > "$run/train.csv"
awk -F, 'NR == 1 || $NF == "test"' "$fixtures/wine.csv" > "$run/test.csv"
cp "$fixtures/wine_mlp_teacher.onnx" "$run/"
(
  cd "$run"
  mlnet() { "$tool/bin/mlnet-distill" "$@"; }
  mlnet --help > /dev/null
  mlnet label --data train.csv --teacher wine_mlp_teacher.onnx --ignore Split --output soft-labels.idv
  mlnet train --data train.csv --teacher wine_mlp_teacher.onnx --cache soft-labels.idv --ignore Split --hidden 32 --test test.csv --output wine-student
  mlnet report --teacher wine_mlp_teacher.onnx --model wine-student/student.zip --data test.csv --ignore Split --class-names class_0,class_1,class_2 --output wine-report
  mlnet export --model wine-student/student.zip --output exported.onnx --json > export.json
  set +e; mlnet train --data missing.csv --output x 2> error.txt; code=$?; set -e
  [ "$code" -eq 3 ] || fail "mlnet-distill on a missing file exited $code, not 3 (input error)"
  grep -q "missing.csv" error.txt || fail "mlnet-distill's error does not name the missing file: $(cat error.txt)"
)
for f in soft-labels.idv wine-student/student.zip wine-student/student.onnx wine-student/report/distillation-report.md wine-report/report.md exported.onnx; do
  [ -s "$run/$f" ] || fail "mlnet-distill did not write $f"
done
echo "packages: packed, checked, consumed from the local feed by the README app and by the installed mlnet-distill."
