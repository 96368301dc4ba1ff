#!/bin/sh
# Builds the arena's images into hotpod's image store (default data dir .hotpod; pass
# --data-dir DIR to use another). Run from the project root after `npm run build`.
set -e
here=$(dirname "$0")
hotpod="node $here/../../dist/src/cli/main.js"
$hotpod image build "$here/engine" -t arena-engine:v1 "$@"
$hotpod image build "$here/scripts-v1" -t arena-scripts:v1 "$@"
$hotpod image build "$here/scripts-v2" -t arena-scripts:v2 "$@"
