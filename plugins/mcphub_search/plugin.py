"""Registers the smart-routing search providers."""

from __future__ import annotations

from hub.plugin_api import Registry, hookimpl
from mcphub_search.lexical import LexicalProvider
from mcphub_search.local import LocalProvider
from mcphub_search.remote import AzureOpenAIProvider, OpenAIProvider


@hookimpl
def register_search_index(register: Registry[object]) -> None:
    register("lexical", LexicalProvider())
    register("local", LocalProvider())
    register("openai", OpenAIProvider())
    register("azure_openai", AzureOpenAIProvider())
