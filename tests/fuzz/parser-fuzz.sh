#!/usr/bin/env bash
# Coverage-guided fuzzing (libFuzzer) of the parsers that read what authors and learners
# write: topic files, `.http` blocks, and Markdown rendered to HTML. Each target starts from
# the real topic files and runs for FUZZ_SECONDS; a panic or a broken promise (a problem
# naming a line that does not exist, live markup in rendered HTML) fails the run and leaves
# the input that caused it in tests/fuzz/artifacts/.
#
# The toolchain is stable, so the coverage instrumentation is asked for with stable codegen
# flags instead of cargo-fuzz's nightly ones. They apply to the target only (`--target`), so
# build scripts stay uninstrumented.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
FUZZ_SECONDS=${FUZZ_SECONDS:-30}
TARGETS=(topic_file http_block markdown_html)
host=$(rustc -vV | sed -n 's/^host: //p')
target_dir=${CARGO_TARGET_DIR:-$ROOT/target}/parser-fuzz
artifacts="$ROOT/tests/fuzz/artifacts"
mkdir -p "$artifacts"

export RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares --cfg fuzzing"
cargo build --locked --release --quiet \
  --manifest-path "$ROOT/tests/fuzz/parsers/Cargo.toml" \
  --target "$host" --target-dir "$target_dir"

# Rendering highlights every code block, so Markdown inputs are kept short enough for many
# runs a second; the parsers take whole topic files.
max_len() {
  if [ "$1" = markdown_html ]; then echo 4096; else echo 65536; fi
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failed=0
for name in "${TARGETS[@]}"; do
  corpus="$work/$name"
  mkdir -p "$corpus"
  cp "$ROOT"/content/topics/*.md "$corpus/"
  echo "fuzzing $name for ${FUZZ_SECONDS}s"
  if ! "$target_dir/$host/release/$name" "$corpus" \
      -max_total_time="$FUZZ_SECONDS" -max_len="$(max_len "$name")" -timeout=10 -print_final_stats=1 \
      -artifact_prefix="$artifacts/$name-" >"$work/$name.log" 2>&1; then
    echo "FAILED: $name (input saved under $artifacts)"
    tail -40 "$work/$name.log"
    failed=1
  else
    grep -E '^stat::(number_of_executed_units|new_units_added)' "$work/$name.log" \
      | sed "s/^/  $name /"
  fi
done
exit "$failed"
