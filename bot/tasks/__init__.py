"""The scheduler backend: task service (use cases), runner (firing), handlers (what a task does)."""
