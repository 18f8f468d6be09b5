"""Source connectors: one module per source, each declaring the links it owns.

`CONNECTORS` is the order in which links are offered: specific sources first, the
web connector (which takes any http(s) URL) last. Importing this package is cheap:
client libraries are imported inside `fetch`.
"""

from connectors.arxiv import ArxivConnector
from connectors.github import GitHubConnector
from connectors.web import WebConnector
from connectors.youtube import YouTubeConnector

CONNECTORS = (ArxivConnector, YouTubeConnector, GitHubConnector, WebConnector)

__all__ = ["CONNECTORS", "ArxivConnector", "GitHubConnector", "WebConnector", "YouTubeConnector"]
