#!/usr/bin/env bash
# The debug kernel (KASAN, lockdep, kmemleak ...): scripts/build-kernel.sh debug.
exec "$(dirname "$0")/build-kernel.sh" debug "$@"
