#!/usr/bin/env bash
# Writes the README's ```csharp blocks as one C# program to stdout: every `using ...;` line of every block first (in
# order, duplicates dropped), then the other lines of the blocks in order — what a reader gets by pasting the blocks
# into one Program.cs. .ci/run (tools/ci/consumer-app.sh) compiles and runs the result against the packed packages.
set -euo pipefail
readme=${1:?usage: readme-program.sh README.md}
awk '
  /^```csharp[[:space:]]*$/ { inblock = 1; blocks++; next }
  /^```[[:space:]]*$/ && inblock { inblock = 0; next }
  inblock && /^using [A-Za-z0-9_.]+;/ { if (!seen[$0]++) usings[++nu] = $0; next }
  inblock { body[++nb] = $0 }
  END {
    if (blocks == 0) { print "README has no ```csharp block" > "/dev/stderr"; exit 1 }
    for (i = 1; i <= nu; i++) print usings[i]
    for (i = 1; i <= nb; i++) print body[i]
  }' "$readme"
