#!/usr/bin/env bash
# Set up, then run the whole test suite (NUnit + FsCheck); every test prints a line as it
# finishes (Passed/Failed NAME [time]), so a person watching sees progress.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/setup.sh"
cd "$root"
export LRBS_HOME="$root"
exec dotnet test Hybrid.sln -c Release --no-build --nologo --logger "console;verbosity=normal" "$@"
