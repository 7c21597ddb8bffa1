#!/usr/bin/env bash
# Builds the Pulumi CLI from its Go modules, at the version pinned in tools/pulumi-cli/go.mod, into
# .tools/pulumi/bin/pulumi (git-ignored). Reused as long as the pin, go.sum and the Go version are unchanged.
#   bash tools/pulumi-cli/build.sh            build if needed; prints the CLI's path and how long it took
#   bash tools/pulumi-cli/build.sh --print    print the path of an up-to-date CLI, or exit 1 (no build)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="$root/.tools/pulumi"
bin="$out/bin/pulumi"

if ! command -v go >/dev/null 2>&1; then
  echo "tools/pulumi-cli/build.sh needs the Go toolchain (go 1.25 or newer) and the Go module proxy" >&2
  exit 1
fi

version="$(awk '$1 == "github.com/pulumi/pulumi/pkg/v3" { print $2; exit }' "$here/go.mod")"
sdk_version="$(awk '$1 == "github.com/pulumi/pulumi/sdk/v3" { print $2; exit }' "$here/go.mod")"
if [ -z "$version" ] || [ "$version" != "$sdk_version" ]; then
  echo "tools/pulumi-cli/go.mod must require pkg/v3 and sdk/v3 at one version (got '$version' and '$sdk_version')" >&2
  exit 1
fi
# What the binary depends on: the pinned modules (go.mod, go.sum), the Go toolchain and this script's flags.
stamp="$version $(cat "$here/go.mod" "$here/go.sum" "$0" | sha256sum | cut -c1-16) $(go env GOVERSION)"

if [ -x "$bin" ] && [ "$(cat "$out/stamp" 2>/dev/null)" = "$stamp" ]; then
  [ "${1:-}" = "--print" ] && { echo "$bin"; exit 0; }
  echo "pulumi CLI $version: up to date, reused ($bin)"
  exit 0
fi
[ "${1:-}" = "--print" ] && exit 1

echo "pulumi CLI $version: building from github.com/pulumi/pulumi/pkg/v3/cmd/pulumi (Go $(go env GOVERSION); takes minutes on a cold cache)"
start=$(date +%s)
mkdir -p "$out/bin"
rm -f "$out/stamp"
# -X sets the version `pulumi version` prints; without it the Automation API cannot parse the version.
(cd "$here" && go build -trimpath \
  -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$version" \
  -o "$bin.partial" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi)
mv "$bin.partial" "$bin"
printf '%s\n' "$stamp" > "$out/stamp"
printed="$("$bin" version)"
if [ "$printed" != "$version" ]; then
  echo "built CLI says '$printed', expected $version" >&2
  exit 1
fi
echo "pulumi CLI $version: built in $(( $(date +%s) - start )) s ($bin)"
