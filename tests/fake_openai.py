"""A small OpenAI-compatible embeddings server on 127.0.0.1, for the smart-routing tests.

It checks the key and the model it receives (401/400 otherwise, as OpenAI answers), can be
told to answer 429 a few times first, records every batch, and embeds text as a
deterministic bag of hashed words, so texts sharing words are close.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

import tornado.httpserver
import tornado.netutil
import tornado.web

DIMS = 64


def embed(text: str) -> list[float]:
    vector = [0.0] * DIMS
    for word in re.findall(r"[a-z0-9]+", text.lower()):
        digest = hashlib.sha256(word.encode()).digest()
        vector[digest[0] % DIMS] += 1.0
    norm = math.sqrt(sum(v * v for v in vector)) or 1.0
    return [v / norm for v in vector]


@dataclass
class FakeOpenAI:
    key: str = "sk-test-key"
    model: str = "test-embed-1"
    fail_first: int = 0
    """Answer 429 (Retry-After: 0) to this many requests before serving."""
    batches: list[list[str]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    url: str = ""
    server: tornado.httpserver.HTTPServer | None = None

    @property
    def texts(self) -> list[str]:
        return [text for batch in self.batches for text in batch]


class EmbeddingsHandler(tornado.web.RequestHandler):
    def initialize(self, fake: FakeOpenAI) -> None:
        self.fake = fake

    def post(self) -> None:
        fake = self.fake
        if self.request.headers.get("Authorization") != f"Bearer {fake.key}":
            fake.refused.append("key")
            self.set_status(401)
            self.finish({"error": {"message": "Incorrect API key provided"}})
            return
        body: dict[str, Any] = json.loads(self.request.body)
        if body.get("model") != fake.model:
            fake.refused.append(f"model {body.get('model')}")
            self.set_status(400)
            self.finish({"error": {"message": "model not found"}})
            return
        if fake.fail_first > 0:
            fake.fail_first -= 1
            self.set_status(429)
            self.set_header("Retry-After", "0")
            self.finish({"error": {"message": "Rate limit reached"}})
            return
        texts = body["input"]
        fake.batches.append(list(texts))
        data = [
            {"object": "embedding", "index": i, "embedding": embed(t)} for i, t in enumerate(texts)
        ]
        self.finish({"object": "list", "data": data, "model": fake.model})


def start(fake: FakeOpenAI) -> FakeOpenAI:
    """Serve ``fake`` on an unused 127.0.0.1 port (on the running loop)."""
    app = tornado.web.Application([(r"/v1/embeddings", EmbeddingsHandler, {"fake": fake})])
    sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
    server = tornado.httpserver.HTTPServer(app)
    server.add_sockets(sockets)
    fake.server = server
    fake.url = f"http://127.0.0.1:{sockets[0].getsockname()[1]}/v1"
    return fake
