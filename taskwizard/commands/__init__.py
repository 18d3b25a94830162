"""Sub-commands. Each module has ``add_arguments(name, parser)`` and
``run(name, args) -> exit code``; both import heavy modules lazily."""
