"""The shared store for several hub instances: PostgreSQL through asyncpg."""
