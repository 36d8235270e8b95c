#!/bin/sh
# The full form of test/security/broken-pushes.test.ts: 100 broken pushes in a row (CI runs 20,
# each kind at least once, the fast kinds twice) while a minutely job keeps its schedule.
# Takes ~4.5 min on 2 cores with the warm manifest worker (the default; two manifest timeouts of
# ~32 s per 13 pushes), ~10-15 min with manifest: { warm: false }.
# Run from the repo root: sh bench/broken-pushes.sh
set -e
SLUICE_BROKEN_PUSHES=100 exec npx vitest run test/security/broken-pushes.test.ts
