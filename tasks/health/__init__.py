"""Day health and drift: per-host counts of each day's fields and rejects, and alarms when a host's day falls away."""
