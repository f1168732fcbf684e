#!/usr/bin/env bash
# The service skeleton holds up with no hand edits: copy the source tree (its tracked and
# untracked-but-not-ignored files, so uncommitted work counts) to a scratch directory, run
# tools/new-service there, lint the contract (when buf is installed), build hubd and the tests
# that judge a new service, and run them: the service's own test, its refusal rows
# (test_refusals), the migrations test (every
# declared permission is granted by a role) and the matrix (cross-tenant, roles, RLS on every
# tenant table, no RPC without a handler), plus the shape check on the sources and the doc
# page's RPC table against the generated one.
# usage: check_new_service.sh SOURCE_DIR
set -euo pipefail
src=${1:?source dir}
git -C "$src" rev-parse --git-dir >/dev/null 2>&1 || { echo "not a git checkout: skipped"; exit 77; }
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

git -C "$src" ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
  [[ -e $src/$f ]] && printf '%s\0' "$f"
done | tar -C "$src" --null -T - -cf - | tar -C "$scratch" -xf -

domain=kitcheck
python3 "$scratch/tools/new-service" "$domain" Gadget
# The tool writes only new files: nothing tracked changed.
[[ -z $(cd "$scratch" && git -C "$src" ls-files | while read -r f; do cmp -s "$src/$f" "$f" 2>/dev/null || echo "$f"; done) ]] \
  || { echo "tools/new-service edited tracked files"; exit 1; }

if [[ -x $src/tools/node_modules/.bin/buf ]]; then
  (cd "$scratch" && "$src/tools/node_modules/.bin/buf" lint proto)
fi
python3 "$scratch/tests/shape/check_shape.py" "$scratch"

cmake -S "$scratch" -B "$scratch/build" -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build "$scratch/build" -j"$(nproc 2>/dev/null || echo 2)" --target hubd "test_$domain" test_refusals test_migrations test_matrix \
  >"$scratch/build.log" 2>&1 || { tail -50 "$scratch/build.log"; exit 1; }
python3 "$scratch/tests/docs/check_docs.py" "$scratch/build/gen" "$scratch/docs"
ctest --test-dir "$scratch/build" --output-on-failure -R "^(test_$domain|test_refusals|test_migrations|test_matrix)\$"
echo "new-service: $domain written, built and tested in a scratch tree"
