"""REST handlers under ``/api``, one module per resource family."""
