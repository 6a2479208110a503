#!/usr/bin/env bash
# TEMPORARY (guard rails, phase 2): the mass changes that make the new checks pass.
# Run once, from a clean tree, after the other engineers' source changes have landed; review the
# diff, fix what is left by hand (see /tmp/guard-rails-findings.md), commit, then delete this file.
#
#   1. renames every tracked source file whose name is not kebab-case (git mv) and rewrites the
#      relative import specifiers and path mentions that point at it;
#   2. applies ESLint's autofixes (only rules marked fixable; nothing else is touched);
#   3. formats everything with Prettier (last, so it also formats what the autofixes wrote);
#   4. runs the checks and prints what is left.
#
# Usage: tools/apply-guard-rails.sh [--dry-run]    (--dry-run: only print the renames)
set -euo pipefail
cd "$(dirname "$0")/.."

dry_run=false
[[ "${1:-}" == "--dry-run" ]] && dry_run=true

if [[ "$dry_run" == false && -n "$(git status --porcelain --untracked-files=no)" ]]; then
  echo "apply-guard-rails: the working tree has uncommitted changes; commit them first." >&2
  exit 1
fi

# ---- 1. kebab-case file names --------------------------------------------------------------
# The same pattern as the `losslab/filename-case` rule in eslint.config.mjs.
renames="$(git ls-files '*.ts' '*.mts' '*.cts' '*.js' '*.mjs' '*.cjs' | node -e '
  const KEBAB = /^\.?[a-z0-9]+(?:-[a-z0-9]+)*(?:\.[a-z0-9]+(?:-[a-z0-9]+)*)*$/;
  const kebab = (s) => s.replace(/([a-z0-9])([A-Z])/g, "$1-$2").replace(/([A-Z])([A-Z][a-z])/g, "$1-$2").replace(/_/g, "-").toLowerCase();
  const files = require("fs").readFileSync(0, "utf8").split("\n").filter(Boolean);
  for (const file of files) {
    const slash = file.lastIndexOf("/");
    const dir = file.slice(0, slash + 1), base = file.slice(slash + 1);
    if (!KEBAB.test(base)) console.log(file + "\t" + dir + kebab(base));
  }
')"

if [[ -z "$renames" ]]; then
  echo "no files to rename"
else
  echo "renames:"
  echo "$renames" | sed 's/\t/  ->  /; s/^/  /'
fi
if [[ "$dry_run" == true ]]; then exit 0; fi

if [[ -n "$renames" ]]; then
  while IFS=$'\t' read -r from to; do
    if [[ -e "$to" ]]; then echo "apply-guard-rails: $to exists already" >&2; exit 1; fi
    git mv "$from" "$to"
  done <<<"$renames"

  # Rewrite references in every tracked text file:
  #  - relative import/export/vi.mock specifiers whose last segment is the old stem
  #    ('./blinkCsv', '../blinkCsv.js', '../blinkCsv.test') -> new stem;
  #  - path mentions ending in the old file name ('packages/data/src/blinkCsv.ts') in docs and configs.
  # Identifiers (`readBlinkCsv`, `blinkWindows(...)`) are left alone: only quoted relative
  # specifiers and `/name.ext` paths match.
  RENAMES="$renames" node -e '
    const fs = require("fs");
    const { execSync } = require("child_process");
    const pairs = process.env.RENAMES.split("\n").filter(Boolean).map((line) => {
      const [from, to] = line.split("\t");
      const base = (p) => p.slice(p.lastIndexOf("/") + 1);
      const stem = (p) => base(p).replace(/\.(?:[cm]?[jt]s)$/, "");
      return { fromBase: base(from), toBase: base(to), fromStem: stem(from), toStem: stem(to) };
    });
    const esc = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const files = execSync("git ls-files -z", { encoding: "utf8" }).split("\0")
      .filter((f) => /\.(?:[cm]?[jt]s|json|jsonc|md|ya?ml)$/.test(f) && f !== "package-lock.json");
    let changed = 0;
    for (const file of files) {
      if (!fs.existsSync(file)) continue;
      const before = fs.readFileSync(file, "utf8");
      let text = before;
      for (const p of pairs) {
        // quoted relative specifier: "./x/blinkCsv", "../blinkCsv.js"
        const spec = new RegExp("([\x27\x22`])(\\.{1,2}/(?:[^\x27\x22`\\n]*/)?)" + esc(p.fromStem) + "((?:\\.[cm]?[jt]s)?)\\1", "g");
        text = text.replace(spec, (_m, q, dir, ext) => q + dir + p.toStem + ext + q);
        // path mention: .../blinkCsv.ts (preceded by a slash, so identifiers never match)
        text = text.replace(new RegExp("/" + esc(p.fromBase) + "(?![\\w-])", "g"), "/" + p.toBase);
      }
      if (text !== before) { fs.writeFileSync(file, text); changed++; console.log("  updated references in " + file); }
    }
    console.log(changed + " file(s) with updated references");
  '
fi

# ---- 2. ESLint autofixes ----------------------------------------------------------------------
# The project graph must be cached for @nx/enforce-module-boundaries (it skips itself otherwise).
npx nx show projects >/dev/null
# Exit status ignored: what autofix cannot fix is listed in step 4.
npx eslint --fix . >/dev/null || true

# ---- 3. Prettier ------------------------------------------------------------------------------
npx prettier --write . >/dev/null

# ---- 4. what is left --------------------------------------------------------------------------
status=0
for step in typecheck format:check boundaries knip lint; do
  echo "== npm run $step"
  npm run --silent "$step" || status=1
done
if [[ $status -ne 0 ]]; then
  echo "apply-guard-rails: checks still fail; fix the rest by hand (see /tmp/guard-rails-findings.md)."
fi
echo "Then review 'git diff --stat', run npm test, commit, add the checks to .ci/run and delete this script."
exit $status
