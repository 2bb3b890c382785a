"""Configuration: pydantic models, the live config, the store interface, change events."""
