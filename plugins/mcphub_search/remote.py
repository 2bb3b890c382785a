"""``openai`` and ``azure_openai``: any OpenAI-compatible embeddings API.

MCPHub's keys (``openaiApiBaseUrl``, ``openaiApiKey``, ``openaiApiEmbeddingModel``, and the
``azureOpenai*`` ones). Texts go in batches; 429 and 5xx answers are retried with backoff
(``Retry-After`` honoured), and ``basePacingDelayMs`` spaces the batches. Vectors are cached
by content hash (``vectors.VectorCache``), so a tool is embedded once, not on every start.
"""

from __future__ import annotations

import asyncio
import base64
import importlib.util
import logging
from pathlib import Path
from typing import Any

import httpx2

from hub.plugin_api import ProviderUnavailable, SmartRoutingConfig
from mcphub_search.vectors import VectorCache, VectorIndex

log = logging.getLogger(__name__)

BATCH = 64
RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504})
BACKOFF_S = (1.0, 2.0, 4.0, 8.0, 16.0)
MAX_RETRY_AFTER_S = 60.0
TIMEOUT_S = 30.0
THRESHOLD = 0.2
"""OpenAI cosines of unrelated texts sit around 0.0-0.15 (text-embedding-3)."""
LEXICAL_WEIGHT = 0.15


class EmbeddingError(Exception):
    """The embeddings API refused or failed after retries."""


def _need_numpy() -> None:
    if importlib.util.find_spec("numpy") is None:
        raise ProviderUnavailable("numpy is not installed; pip install -e '.[embeddings]'")


class RemoteEmbedder:
    """One OpenAI-style ``/embeddings`` endpoint."""

    def __init__(
        self, url: str, headers: dict[str, str], model: str | None, encoding: str, pacing_ms: int
    ) -> None:
        self.url = url
        self.headers = headers
        self.model = model
        self.encoding = "base64" if encoding == "base64" else "float"
        self.pacing_s = max(0, pacing_ms) / 1000
        self.model_id = f"{url}#{model or ''}"
        self.requests = 0

    async def embed(self, texts: list[str]) -> Any:
        import numpy as np

        rows: list[Any] = []
        async with httpx2.AsyncClient(timeout=TIMEOUT_S) as http:
            for start in range(0, len(texts), BATCH):
                if start and self.pacing_s:
                    await asyncio.sleep(self.pacing_s)
                rows.extend(await self._batch(http, texts[start : start + BATCH]))
        matrix = np.array(rows, dtype=np.float32)
        norms = np.linalg.norm(matrix, axis=1, keepdims=True)
        return matrix / np.maximum(norms, 1e-12)

    async def _batch(self, http: httpx2.AsyncClient, texts: list[str]) -> list[Any]:
        body: dict[str, Any] = {"input": texts, "encoding_format": self.encoding}
        if self.model:
            body["model"] = self.model
        for attempt in range(len(BACKOFF_S) + 1):
            self.requests += 1
            try:
                response = await http.post(self.url, json=body, headers=self.headers)
            except httpx2.HTTPError as exc:
                if attempt == len(BACKOFF_S):
                    raise EmbeddingError(f"embeddings request failed: {exc}") from exc
                await asyncio.sleep(BACKOFF_S[attempt])
                continue
            if response.status_code == 200:
                return self._vectors(response.json(), len(texts))
            if response.status_code not in RETRY_STATUSES or attempt == len(BACKOFF_S):
                raise EmbeddingError(
                    f"embeddings API answered {response.status_code}: {response.text[:200]}"
                )
            delay = _retry_after(response.headers.get("Retry-After"), BACKOFF_S[attempt])
            log.warning(
                "Embeddings API answered %s; retrying in %.1fs", response.status_code, delay
            )
            await asyncio.sleep(delay)
        raise EmbeddingError("embeddings API kept failing")  # pragma: no cover - loop returns

    def _vectors(self, payload: Any, count: int) -> list[Any]:
        import numpy as np

        data = payload.get("data") if isinstance(payload, dict) else None
        if not isinstance(data, list) or len(data) != count:
            raise EmbeddingError("embeddings API answered an unexpected shape")
        ordered = sorted(data, key=lambda item: item.get("index", 0))
        out = []
        for item in ordered:
            value = item.get("embedding")
            if isinstance(value, str):
                out.append(np.frombuffer(base64.b64decode(value), dtype=np.float32))
            elif isinstance(value, list):
                out.append(np.array(value, dtype=np.float32))
            else:
                raise EmbeddingError("embeddings API answered no vector")
        return out


def _retry_after(header: str | None, default: float) -> float:
    if header is None:
        return default
    try:
        return min(MAX_RETRY_AFTER_S, max(0.0, float(header)))
    except ValueError:
        return default


class OpenAIProvider:
    """OpenAI or any compatible server (``openaiApiBaseUrl``)."""

    def check(self, config: SmartRoutingConfig) -> None:
        missing = [
            key
            for key, value in (
                ("openaiApiKey", config.openai_api_key),
                ("openaiApiBaseUrl", config.openai_api_base_url),
                ("openaiApiEmbeddingModel", config.openai_api_embedding_model),
            )
            if not value
        ]
        if missing:
            raise ProviderUnavailable(f"openai needs smartRouting.{', '.join(missing)}")
        _need_numpy()

    def embedder(self, config: SmartRoutingConfig) -> RemoteEmbedder:
        url = config.openai_api_base_url.rstrip("/") + "/embeddings"
        headers = {"Authorization": f"Bearer {config.openai_api_key}"}
        return RemoteEmbedder(
            url,
            headers,
            config.openai_api_embedding_model,
            config.embedding_encoding_format,
            config.base_pacing_delay_ms,
        )

    def open(self, config: SmartRoutingConfig, data_dir: Path) -> VectorIndex:
        self.check(config)
        return VectorIndex(
            "openai",
            self.embedder(config),
            VectorCache(data_dir / "search-vectors.sqlite"),
            threshold=THRESHOLD,
            lexical_weight=LEXICAL_WEIGHT,
        )


class AzureOpenAIProvider(OpenAIProvider):
    """Azure OpenAI: a deployment under ``azureOpenaiEndpoint``, the key in ``api-key``."""

    def check(self, config: SmartRoutingConfig) -> None:
        missing = [
            key
            for key, value in (
                ("azureOpenaiEndpoint", config.azure_openai_endpoint),
                ("azureOpenaiApiKey", config.azure_openai_api_key),
                ("azureOpenaiEmbeddingDeployment", config.azure_openai_embedding_deployment),
                ("azureOpenaiApiVersion", config.azure_openai_api_version),
            )
            if not value
        ]
        if missing:
            raise ProviderUnavailable(f"azure_openai needs smartRouting.{', '.join(missing)}")
        _need_numpy()

    def embedder(self, config: SmartRoutingConfig) -> RemoteEmbedder:
        base = config.azure_openai_endpoint.rstrip("/")
        deployment = config.azure_openai_embedding_deployment
        url = (
            f"{base}/openai/deployments/{deployment}/embeddings"
            f"?api-version={config.azure_openai_api_version}"
        )
        return RemoteEmbedder(
            url,
            {"api-key": config.azure_openai_api_key},
            config.azure_openai_embedding_model or None,
            config.embedding_encoding_format,
            config.base_pacing_delay_ms,
        )
