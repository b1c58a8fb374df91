#!/usr/bin/env bash
# Format the tree as the tests check it (tests/Lrbs.Tests/FormatTests.fs): Fantomas for F#,
# `dotnet format whitespace` for C#, clang-format for src/Native; the settings are in
# .editorconfig and .clang-format. Run scripts/setup.sh once first (it installs the tools).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
dotnet tool run fantomas src/Core.FSharp tests/Lrbs.Tests
dotnet format whitespace Hybrid.sln
git ls-files 'src/Native/*.cpp' 'src/Native/*.h' | xargs clang-format -i
