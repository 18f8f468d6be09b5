"""The benchmark's links and the made-up data the replay server answers them with.

A newsletter-sized mix: 40 % arXiv papers, 30 % YouTube (a few playlists of 60 and most
of their videos also linked alone), 20 % GitHub repos, 10 % web pages spread over many
hosts, in the link forms people paste, shuffled with a fixed seed. `expected()` gives the
fewest requests the APIs allow for it (the issue's target: 125 for 1,000 links).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from tests.replay.server import Replay

ARXIV_BATCH, YOUTUBE_BATCH, GITHUB_BATCH = 100, 50, 50
PLAYLIST_SIZE = 60
MAX_WEB_HOSTS = 50
"""Web pages are spread over up to this many loopback addresses (127.0.0.1…), two pages a
host at 1,000 links, as a newsletter's reads come from many sites; the web connector never
opens more than two connections to one host."""

_WORDS = (
    "sparse attention routing scaling laws diffusion retrieval alignment reasoning tokenizer "
    "benchmark distillation quantization agents memory curriculum contrastive pretraining "
    "robustness calibration kernels compilers graphs latent planning"
).split()


@dataclass
class Workload:
    papers: list[str]
    """arXiv ids."""
    playlists: dict[str, list[str]]
    """Playlist id → its video ids, in order."""
    loose: list[str]
    """Video ids also linked alone."""
    repos: list[str]
    """`owner/name`."""
    pages: list[str]
    """Page paths, served by the web routes."""
    seed: int = 9
    links: list[str] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.papers) + len(self.playlists) + len(self.loose) + len(self.repos) + len(self.pages)

    def expected(self) -> dict[str, int]:
        """The fewest requests per source: the API batch sizes, one request per web page."""
        videos = {v for ids in self.playlists.values() for v in ids} | set(self.loose)
        return {
            "arxiv": math.ceil(len(self.papers) / ARXIV_BATCH),
            "youtube": (
                math.ceil(len(self.playlists) / YOUTUBE_BATCH)
                + sum(max(1, math.ceil(len(ids) / YOUTUBE_BATCH)) for ids in self.playlists.values())
                + math.ceil(len(videos) / YOUTUBE_BATCH)
            ),
            "github": math.ceil(len(self.repos) / GITHUB_BATCH),
            "web": len(self.pages),
            "huggingface": len(self.papers),  # the Hub has no batch call: one request a paper
        }

    def serial(self, web_concurrency: int = 8, hf_workers: int = 4) -> dict[str, int]:
        """Requests per source that must follow one another, whatever the code does: the
        physical limit of a cold run is the longest of these × latency + start-up.

        arXiv: one request at a time (arXiv API terms of use); GitHub: one at a time (GitHub's
        REST and GraphQL guidance: "make requests for a single user serially"); YouTube: a
        playlist's pages follow each other's `nextPageToken`, then `videos.list` needs every
        listed id (playlists side by side, `playlists.list` beside them); web: two pages at a
        time on one host, `web_concurrency` pages at a time in all; Hugging Face: a batch's
        papers are asked for once arXiv has answered the batch, `hf_workers` at a time, batches
        side by side (the Hub limits only the count, 500 requests per 5 minutes), so the last
        batch's lookups follow the last arXiv request.
        """
        pages_per_playlist = max((math.ceil(len(ids) / YOUTUBE_BATCH) for ids in self.playlists.values()), default=0)
        videos = {v for ids in self.playlists.values() for v in ids} | set(self.loose)
        hosts = self.web_hosts()
        per_host = [len(range(h, len(self.pages), hosts)) for h in range(hosts)]  # render() deals pages out in turn
        return {
            "arxiv": math.ceil(len(self.papers) / ARXIV_BATCH),
            "youtube": max(pages_per_playlist, 1 if self.playlists else 0) + (1 if videos else 0),
            "github": math.ceil(len(self.repos) / GITHUB_BATCH),
            "web": max([math.ceil(n / 2) for n in per_host] + [math.ceil(len(self.pages) / web_concurrency)]),
            "huggingface": (
                math.ceil(len(self.papers) / ARXIV_BATCH) + math.ceil(min(ARXIV_BATCH, len(self.papers)) / hf_workers)
            )
            if self.papers
            else 0,
        }

    def one(self, base_port: int) -> dict[str, str]:
        """One link per source, as a user pastes it for `curate ingest <link>`."""
        return {
            "arxiv": f"https://arxiv.org/abs/{self.papers[0]}",
            "youtube": f"https://youtu.be/{self.loose[0]}",
            "github": f"https://github.com/{self.repos[0]}",
            "web": f"http://127.0.0.1:{base_port}{self.pages[0]}",
        }

    def web_hosts(self) -> int:
        return max(1, min(MAX_WEB_HOSTS, len(self.pages) // 2))

    def render(self, base_port: int) -> list[str]:
        """The links as a user would paste them (several forms per source), shuffled."""
        rnd = random.Random(self.seed)
        out: list[str] = []
        for i, arxiv_id in enumerate(self.papers):
            out.append(
                (
                    f"https://arxiv.org/abs/{arxiv_id}",
                    f"https://arxiv.org/pdf/{arxiv_id}v2",
                    f"https://huggingface.co/papers/{arxiv_id}",
                    f"arXiv:{arxiv_id}v1",
                )[i % 4]
            )
        for playlist_id in self.playlists:
            out.append(f"https://www.youtube.com/playlist?list={playlist_id}")
        for i, video_id in enumerate(self.loose):
            out.append(
                (
                    f"https://www.youtube.com/watch?v={video_id}",
                    f"https://youtu.be/{video_id}?t=42",
                    f"https://m.youtube.com/watch?v={video_id}&feature=share",
                )[i % 3]
            )
        for i, full_name in enumerate(self.repos):
            out.append(
                (
                    f"https://github.com/{full_name}",
                    f"https://github.com/{full_name}/tree/main/src",
                    f"https://github.com/{full_name}.git",
                )[i % 3]
            )
        hosts = self.web_hosts()
        for i, path in enumerate(self.pages):
            host = f"127.0.0.{1 + i % hosts}"
            out.append(f"http://{host}:{base_port}{path}?utm_source=newsletter&utm_medium=email")
        rnd.shuffle(out)
        return out


def make(total: int = 1000, seed: int = 9) -> Workload:
    """A workload of `total` links in the mix above (1,000 gives 400/300/200/100)."""
    n_arxiv, n_youtube, n_github = round(total * 0.4), round(total * 0.3), round(total * 0.2)
    n_web = total - n_arxiv - n_youtube - n_github
    # ids from 2601.50001 up: none is a test fixture of the Hugging Face routes, so the Hub knows
    # none of these papers (its 404 is normal) and no code link adds a second GitHub round
    papers = [f"2601.{50_000 + i:05d}" for i in range(1, n_arxiv + 1)]
    # n_youtube links: p playlist links plus (n_youtube - p) of their videos linked alone
    n_lists = max(1, round(n_youtube / PLAYLIST_SIZE)) if n_youtube >= 2 else 0
    videos = [f"bench{i:06d}" for i in range(n_youtube)]  # 11 characters, like real ids
    playlists: dict[str, list[str]] = {}
    for p in range(n_lists):
        playlists[f"PLbench{p:027d}"] = videos[p::n_lists]
    rnd = random.Random(seed)
    loose = sorted(rnd.sample(videos, n_youtube - n_lists)) if n_lists else videos[:n_youtube]
    repos = [f"bench-org{i % 40}/tool-{i:04d}" for i in range(n_github)]
    pages = [f"/site/synthetic/{i}" for i in range(n_web)]  # generated posts of tests/replay/routes_web.py
    return Workload(papers=papers, playlists=playlists, loose=loose, repos=repos, pages=pages, seed=seed)


# ---- the replay server's made-up answers


def arxiv_entry(arxiv_id: str) -> str:
    """An Atom `<entry>` in the shape export.arxiv.org sends, with an abstract of usual length."""
    n = int(arxiv_id.replace(".", "")[-5:])
    words = [_WORDS[(n * 7 + k * 3) % len(_WORDS)] for k in range(150)]
    abstract = " ".join(words).capitalize() + "."
    title = f"{_WORDS[n % len(_WORDS)].capitalize()} {_WORDS[(n * 5) % len(_WORDS)]} for {_WORDS[(n * 11) % len(_WORDS)]} ({arxiv_id})"
    authors = "".join(f"\n    <author>\n      <name>Author {n}-{k}</name>\n    </author>" for k in range(6))
    return f"""  <entry>
    <id>http://arxiv.org/abs/{arxiv_id}v2</id>
    <title>{escape(title)}</title>
    <updated>2026-01-12T10:00:00Z</updated>
    <link href="https://arxiv.org/abs/{arxiv_id}v2" rel="alternate" type="text/html"/>
    <link href="https://arxiv.org/pdf/{arxiv_id}v2" rel="related" type="application/pdf" title="pdf"/>
    <summary>  {escape(abstract)}</summary>
    <category term="cs.LG" scheme="http://arxiv.org/schemas/atom"/>
    <category term="cs.CL" scheme="http://arxiv.org/schemas/atom"/>
    <published>2026-01-08T11:39:43Z</published>
    <arxiv:comment>12 pages, 5 figures</arxiv:comment>
    <arxiv:primary_category term="cs.LG"/>{authors}
  </entry>
"""


def install(replay: Replay, work: Workload) -> None:
    """Make the replay server answer every link of the workload (through each source's hooks)."""
    papers = set(work.papers)
    replay.state["arxiv_synthesize"] = lambda arxiv_id: arxiv_entry(arxiv_id) if arxiv_id in papers else None
    try:
        from tests.replay import routes_youtube
    except ImportError:  # the YouTube routes are not there yet
        pass
    else:
        routes_youtube.synthesize(replay, work.playlists)
    try:
        from tests.replay import routes_github
    except ImportError:
        pass
    else:
        repos = {r.lower() for r in work.repos}
        replay.state["github_synthesize"] = lambda owner, name: (
            routes_github.synthetic_repo(owner, name, stars=100 + len(name) * 7)
            if f"{owner}/{name}".lower() in repos
            else None
        )
    # web pages need no hook: routes_web generates /site/synthetic/<n> for any n
