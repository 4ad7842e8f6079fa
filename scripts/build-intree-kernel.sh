#!/usr/bin/env bash
# The in-tree kernel, VMBus built in: scripts/build-kernel.sh intree
# [6.1|6.12] (Debian's linux-source-6.1, the default, or -6.12).
exec "$(dirname "$0")/build-kernel.sh" intree "$@"
