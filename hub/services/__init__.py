"""Domain operations taking the hub and the calling principal; handlers call these."""
