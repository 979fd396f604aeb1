#!/usr/bin/env bash
# Builds a fresh console app from the README's C# blocks against the packages in a local folder feed, restoring
# offline (the feed and the NuGet cache only), and runs it on the bundled wine teacher. Fails on any missing output.
#   tools/ci/consumer-app.sh FEED VERSION WORKDIR
set -euo pipefail
feed=$(realpath "$1"); version=$2; work=$3
repo=$(cd "$(dirname "$0")/../.." && pwd)
cache=${NUGET_PACKAGES:-$HOME/.nuget/packages}
app="$work/ReadmeApp"
mkdir -p "$app"

cat > "$app/ReadmeApp.csproj" <<PROJ
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <OutputType>Exe</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
    <ImplicitUsings>enable</ImplicitUsings>
    <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
  </PropertyGroup>
  <ItemGroup>
    <PackageReference Include="MLNet.Distillation" Version="$version" />
    <PackageReference Include="MLNet.Distillation.Reporting" Version="$version" />
    <PackageReference Include="libtorch-cpu-linux-x64" Version="2.10.0" />
    <PackageReference Include="Microsoft.ML.OnnxRuntime.Gpu" Version="1.31.0" />
  </ItemGroup>
</Project>
PROJ
"$repo/tools/ci/readme-program.sh" "$repo/README.md" > "$app/Program.cs"

# The data the README describes: train.csv and test.csv (label, then 13 features) and teacher.onnx.
fixtures="$repo/tests/MLNet.Distillation.Tests/Fixtures"
run="$work/run"
mkdir -p "$run"
awk -F, 'NR == 1 || $NF == "train"' "$fixtures/wine.csv" > "$run/train.csv"
awk -F, 'NR == 1 || $NF == "test"' "$fixtures/wine.csv" > "$run/test.csv"
cp "$fixtures/wine_mlp_teacher.onnx" "$run/teacher.onnx"

# Outside the repository: no Directory.Build.* and no nuget.config of ours apply, as for any consumer.
(cd "$app" && dotnet restore --source "$feed" --source "$cache" && dotnet build -c Release --no-restore -o "$work/bin")
(cd "$run" && dotnet "$work/bin/ReadmeApp.dll")
for f in student.zip student.onnx report/distillation-report.md report/distillation-report.json; do
  [ -s "$run/$f" ] || { echo "The README app did not write $f" >&2; exit 1; }
done
ls "$run"/report/*.png > /dev/null || { echo "The README app's report has no PNG plot" >&2; exit 1; }
echo "README app: built from the packages in $feed and ran on the wine teacher."
