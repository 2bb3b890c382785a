"""Smart routing's tool search: the index contract plugins implement and the service that
keeps the active index in step with the live catalog."""
