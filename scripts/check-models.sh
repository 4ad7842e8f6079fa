#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# check-models.sh: the "models" lane of `make check`
# (Documentation/virt/hyperv/testing.rst, "Lanes").
# Runs every spin model in tools/testing/vmbus/models/ exhaustively; the
# litmus tests in Documentation/virt/hyperv/litmus/ are for reviewers with
# herd7 and are not run here.  spin and gcc come from
# scripts/setup-packages.sh; this script installs nothing.  Build products
# go to build/models/.
set -uo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
exec "$repo/tools/testing/vmbus/models/run.sh" "$@"
