#!/usr/bin/env bash
# The in-tree kernel, VMBus built in: scripts/build-kernel.sh intree.
exec "$(dirname "$0")/build-kernel.sh" intree "$@"
