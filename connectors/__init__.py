"""Source connectors: one module per source, each ending with `SOURCE = Source(...)`.

`connectors.registry.default()` finds them; nothing lists them by hand. Importing a
connector module is cheap: client libraries are imported inside `fetch`.
"""
