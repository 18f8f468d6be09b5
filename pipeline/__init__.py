"""links → connectors → store → draft, plus the CLI, settings and the scheduled run."""
