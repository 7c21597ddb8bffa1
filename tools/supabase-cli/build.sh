#!/usr/bin/env bash
# Builds tools/supabase-cli (the Supabase CLI's own migration packages, github.com/supabase/cli/pkg at the version
# pinned in go.mod) into .tools/supabase-cli/bin/supabase-cli (git-ignored), for the migration-history tests.
# Reused while main.go, go.mod, go.sum and the Go version are unchanged. Prints the binary's path last.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$root/.tools/supabase-cli"
bin="$out/bin/supabase-cli"

if ! command -v go >/dev/null 2>&1; then
  echo "tools/supabase-cli/build.sh needs the Go toolchain and the Go module proxy" >&2
  exit 1
fi

stamp="$(cat "$here/main.go" "$here/go.mod" "$here/go.sum" "$0" | sha256sum | cut -c1-16) $(go env GOVERSION)"

if [ -x "$bin" ] && [ "$(cat "$out/stamp" 2>/dev/null)" = "$stamp" ]; then
  echo "$bin"
  exit 0
fi
version="$(awk '$1 == "github.com/supabase/cli/pkg" { print $2; exit }' "$here/go.mod")"
echo "supabase-cli: building github.com/supabase/cli/pkg $version (Go $(go env GOVERSION))" >&2
start=$(date +%s)
mkdir -p "$out/bin"
rm -f "$out/stamp"
(cd "$here" && go build -trimpath -o "$bin.partial" .)
mv "$bin.partial" "$bin"
printf '%s\n' "$stamp" > "$out/stamp"
echo "supabase-cli: built in $(( $(date +%s) - start )) s" >&2
echo "$bin"
