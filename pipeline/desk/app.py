"""`curate serve`: the editor's page, a small Starlette app over the same store as the CLI.

Server-rendered Jinja2 pages (autoescaped) that work as plain forms; static/desk.js adds
keys, drag and drop and in-place updates on top. Every change is a POST carrying the
page's CSRF token, refused when it comes from another site; the Host header is checked
against the address served (DNS rebinding); a Content-Security-Policy allows scripts and
styles from the app's own /static only. Off loopback a token is required
(CURATE_SERVE_TOKEN), asked once and kept in an HttpOnly, SameSite=Strict cookie.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import re
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.applications import Starlette
from starlette.datastructures import FormData
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from pipeline.config import Settings
from pipeline.desk import actions
from pipeline.desk.actions import DeskError, StaleBlurb
from pipeline.newsletter import Newsletter, NewsletterError
from pipeline.store import Store
from schemas import ItemStatus, SectionKey

HERE = Path(__file__).resolve().parent
COOKIE = "curate_token"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")


def is_loopback(host: str) -> bool:
    """True for `localhost` and loopback addresses (127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _markdown() -> Any:
    """Markdown to HTML as a reader sees the export: CommonMark, raw HTML shown as text, only safe links."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False})


_HIDDEN = ("<!-- curate:",)


def render_markdown(text: str) -> Markup:
    """The export's Markdown as HTML, without curate's anchor comments (a reader never sees them)."""
    lines = [
        line
        for line in text.splitlines()
        if not line.lstrip().startswith(_HIDDEN)
        and not (line.strip().startswith("<!--") and line.strip().endswith("-->"))
    ]
    return Markup(_MD.render("\n".join(lines)))  # markdown-it escapes text and raw HTML (html=False)


def http_url(url: str | None) -> str:
    """A link target for the page: the URL when it is http(s), else `#` (never `javascript:`)."""
    from pipeline.draft_markdown import md_url

    return md_url(url) or "#"


_DATE = re.compile(r"(?<![\w-])(\d{4}-\d{2}-\d{2})(?![\w-])")
_TAG = re.compile(r"(<[^>]*>)")


def render_inline(text: str) -> Markup:
    """One line of the export's Markdown (a details line) as inline HTML, each ISO date
    (YYYY-MM-DD) in a `<span class="date">` that the stylesheet keeps on one line."""
    html = _MD.renderInline(text)
    # markdown-it has no hook for this; its output escapes every `<` of the text, so the
    # parts between tags are text, and only those get the span (never a link's address)
    return Markup(
        "".join(
            part if part.startswith("<") else _DATE.sub(r'<span class="date">\1</span>', part)
            for part in _TAG.split(html)
        )
    )


_MD = _markdown()


class Flash:
    """Messages for the page after a POST's redirect (no session store: a few recent ones in memory)."""

    def __init__(self, keep: int = 200) -> None:
        self.keep = keep
        self.messages: OrderedDict[str, dict[str, Any]] = OrderedDict()

    def put(self, **message: Any) -> str:
        key = secrets.token_urlsafe(8)
        self.messages[key] = message
        while len(self.messages) > self.keep:
            self.messages.popitem(last=False)
        return key

    def get(self, key: str | None) -> dict[str, Any] | None:
        return self.messages.get(key) if key else None


class Guard(BaseHTTPMiddleware):
    """Host check, token check, security headers on every response."""

    async def dispatch(self, request: Request, call_next: Any) -> Response:
        desk: Desk = request.app.state.desk
        if not desk.host_allowed(_host_name(request.headers.get("host") or "")):
            return _secure(PlainTextResponse("unknown Host header: open the address curate serve printed", 400))
        if desk.token and not request.url.path.startswith(("/static/", "/login")) and not desk.signed_in(request):
            if request.method == "GET":
                return _secure(RedirectResponse(f"/login?{urlencode({'next': _local(str(request.url.path))})}", 303))
            return _secure(PlainTextResponse("sign in first: open the page and give the token", 403))
        return _secure(await call_next(request))


def _host_name(header: str) -> str:
    """The name in a Host header, without its port: `127.0.0.1:8000` → `127.0.0.1`, `[::1]:8000` → `::1`."""
    if header.startswith("["):
        return header[1:].split("]", 1)[0]
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def _secure(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"  # links out carry no referrer; our own POSTs keep their Origin
    response.headers["X-Frame-Options"] = "DENY"
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def _local(url: str | None) -> str:
    """A return address on this site only: a path, never `//host` or `https://…` (no open redirect)."""
    if not url or not url.startswith("/") or url.startswith("//") or "\\" in url:
        return "/"
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


class Desk:
    """What the routes share: settings, the store, the CSRF secret, the token, the flash messages."""

    def __init__(self, settings: Settings, host: str, token: str | None, clock: Callable[[], datetime]) -> None:
        self.settings = settings
        self.store = Store(settings.db)
        self.host = host
        self.token = token
        self.clock = clock
        self.secret = secrets.token_bytes(32)
        self.csrf = hmac.new(self.secret, b"csrf", hashlib.sha256).hexdigest()
        self.flash = Flash()
        self._fmt: tuple[int | None, Newsletter] | None = None

    def host_allowed(self, host: str) -> bool:
        host = host.strip("[]").lower()
        if host in LOOPBACK_NAMES or is_loopback(host):
            return True
        if self.host in ("0.0.0.0", "::"):  # every address: the token is what guards it
            return bool(self.token)
        return host == self.host.strip("[]").lower()

    def cookie_value(self) -> str:
        assert self.token
        return hmac.new(self.token.encode("utf-8"), b"curate serve", hashlib.sha256).hexdigest()

    def signed_in(self, request: Request) -> bool:
        value = request.cookies.get(COOKIE, "")
        return bool(self.token) and hmac.compare_digest(value, self.cookie_value())

    def now(self) -> datetime:
        return self.clock().astimezone(UTC)

    def fmt(self) -> Newsletter:
        """The newsletter's format (CURATE_NEWSLETTER), read again when its file changes, as each
        `curate export` reads it; NewsletterError names what is wrong with it."""
        from pipeline.newsletter import load

        path = Path(self.settings.newsletter)
        try:
            stamp = path.stat().st_mtime_ns
        except OSError:
            stamp = None
        if self._fmt is None or self._fmt[0] != stamp:
            self._fmt = (stamp, load(path))
        return self._fmt[1]


# ---- request helpers


async def _form(request: Request) -> FormData:
    """The POST's form, once its CSRF token and origin are checked; DeskError-free: raises _Refused."""
    desk: Desk = request.app.state.desk
    _same_site(request)
    form = await request.form()
    sent = str(form.get("csrf") or request.headers.get("x-csrf-token") or "")
    if not hmac.compare_digest(sent, desk.csrf):
        raise _Refused("the page is out of date (its form token is not this server's): reload it and try again")
    return form


class _Refused(Exception):
    pass


def _same_site(request: Request) -> None:
    """Refuse a POST another site's page sent (Fetch Metadata, else the Origin header)."""
    site = request.headers.get("sec-fetch-site")
    if site and site not in ("same-origin", "none"):
        raise _Refused("a change from another site is refused")
    origin = request.headers.get("origin")
    if origin == "null" and site:  # an opaque origin (a privacy setting): Fetch Metadata vouched for it
        return
    if origin and urlsplit(origin).netloc != request.headers.get("host"):
        raise _Refused("a change from another site is refused")


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _back(request: Request, form: FormData, flash: str | None, anchor: str | None = None) -> RedirectResponse:
    url = _local(_text(form, "next") or "/")
    if flash:
        url += ("&" if "?" in url else "?") + f"flash={flash}"
    if anchor:
        url += "#" + anchor
    return RedirectResponse(url, 303)


def row_anchor(item_id: str) -> str:
    """An HTML id for an item's row: ids hold `:` and `/`, so a hash keeps it simple and stable."""
    return "i-" + hashlib.sha1(item_id.encode("utf-8")).hexdigest()[:12]


def _ctx(request: Request, **extra: Any) -> dict[str, Any]:
    desk: Desk = request.app.state.desk
    try:
        fmt = desk.fmt()
    except NewsletterError:
        fmt = Newsletter()  # the page saying what is wrong with the file still needs section names
    return {
        "csrf": desk.csrf,
        "flash": desk.flash.get(request.query_params.get("flash")),
        "here": _local(request.url.path + (f"?{request.url.query}" if request.url.query else "")),
        "back": _local(
            request.url.path
            + (
                f"?{urlencode([(k, v) for k, v in request.query_params.multi_items() if k != 'flash'])}"
                if request.url.query
                else ""
            )
        ),
        "sections": {s.key.value: s.name for s in fmt.sections},
        "section_keys": [s.key.value for s in fmt.sections],
        **extra,
    }


def _templates() -> Jinja2Templates:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["markdown"] = render_markdown
    env.filters["inline_markdown"] = render_inline
    env.filters["http_url"] = http_url
    env.filters["anchor"] = row_anchor
    env.globals["version"] = actions.version
    env.globals["split_take"] = actions.split_take
    return Jinja2Templates(env=env)


TEMPLATES = _templates()


def _page(request: Request, name: str, status: int = 200, **extra: Any) -> HTMLResponse:
    return TEMPLATES.TemplateResponse(request, name, _ctx(request, **extra), status_code=status)


def _refused(request: Request, message: str, status: int = 400) -> HTMLResponse:
    return _page(request, "message.html", status=status, message=message)


def _handles(handler: Callable[..., Any]) -> Callable[..., Any]:
    """Turn a refused POST into a 403 page and a DeskError into a 400 page naming what was wrong."""

    async def run(request: Request) -> Response:
        try:
            return await handler(request)
        except _Refused as exc:
            return _refused(request, str(exc), 403)
        except (DeskError, NewsletterError) as exc:
            return _refused(request, str(exc), 400)

    return run


# ---- pages


FOLLOW_TITLES = 60
"""The draft panel lists the untriaged candidates that follow the placed items by title when
there are at most this many (their records are read and scored); past that it counts them."""


async def desk_page(request: Request) -> Response:
    desk: Desk = request.app.state.desk
    q = request.query_params
    section = q.get("section") or None
    status = q.get("status") or None
    if section not in (None, *[k.value for k in SectionKey]) or status not in (
        None,
        *[s.value for s in actions.TRIAGE],
    ):
        return _refused(request, "unknown section or status in the address")
    order = "score" if q.get("order") == "score" else "newest"
    try:
        limit = max(1, min(int(q.get("limit") or 30), 10_000))
    except ValueError:
        limit = 30
    from starlette.concurrency import run_in_threadpool

    def build() -> tuple[Any, Any]:
        now = desk.now()
        fmt = desk.fmt()
        week = actions.week(desk.store, fmt)
        listing = actions.candidates(
            desk.store,
            fmt,
            now,
            section=section,
            status=status,
            query=q.get("q", ""),
            order=order,
            limit=limit,
            all_week=week,
        )
        return listing, actions.draft_view(desk.store, fmt, now, all_week=week, follow=FOLLOW_TITLES)

    listing, view = await run_in_threadpool(build)
    return _page(
        request,
        "desk.html",
        listing=listing,
        view=view,
        filters={"section": section or "", "status": status or "", "q": q.get("q", ""), "order": order},
        limit=limit,
    )


STATUS_OF = {"shortlist": ItemStatus.shortlisted, "reject": ItemStatus.rejected, "candidate": ItemStatus.candidate}


@_handles
async def triage(request: Request) -> Response:
    desk: Desk = request.app.state.desk
    form = await _form(request)
    item_id, action = _text(form, "id"), _text(form, "action")
    now = desk.now()
    before = desk.store.get(item_id)
    if before is None:
        raise DeskError(f"{item_id or 'no id'}: not in the database (nothing was changed)")
    undo: dict[str, str] = {"id": before.id, "status": before.status.value}
    if action == "pick":
        previous = actions.pick(desk.store, desk.fmt(), now, before.id)
        message = f"Pick of the week: {before.title}" + (f" (instead of {previous})" if previous else "")
        undo["section"] = "home"
        if previous:
            undo["previous"] = previous
    elif action == "unpick":
        fmt = desk.fmt()
        home = actions.unpick(desk.store, fmt, now, before.id)
        message = f"Unpicked, back in {fmt.section(home).name}: {before.title}"
        undo["section"] = SectionKey.pick.value
    elif action in STATUS_OF:
        actions.set_status(desk.store, before.id, STATUS_OF[action])
        message = {"shortlist": "Shortlisted", "reject": "Rejected", "candidate": "Back to candidates"}[action]
        message += f": {before.title}"
    else:
        raise DeskError(f"unknown action {action!r}")
    key = desk.flash.put(message=message, undo=undo, current=before.id)
    return _back(request, form, key, row_anchor(before.id))


@_handles
async def undo(request: Request) -> Response:
    desk: Desk = request.app.state.desk
    form = await _form(request)
    item_id = _text(form, "id")
    try:
        status = ItemStatus(_text(form, "status"))
    except ValueError:
        raise DeskError("unknown status to go back to") from None
    now = desk.now()
    if _text(form, "section") == SectionKey.pick.value:  # an unpick undone: the pick again
        actions.pick(desk.store, desk.fmt(), now, item_id)
    elif _text(form, "section") == "home":
        fmt = desk.fmt()
        entry, _ = actions.item(desk.store, fmt, item_id)
        actions.move(desk.store, fmt, now, item_id, section=fmt.section_of(entry.kind).value)
        if _text(form, "previous"):
            actions.pick(desk.store, fmt, now, _text(form, "previous"))
    actions.set_status(desk.store, item_id, status)
    key = desk.flash.put(message=f"Undone: {item_id} is {status.value} again", current=item_id)
    return _back(request, form, key, row_anchor(item_id))


@_handles
async def move(request: Request) -> Response:
    desk: Desk = request.app.state.desk
    form = await _form(request)
    item_id = _text(form, "id")
    section = _text(form, "section") or None
    try:
        by = int(_text(form, "by") or 0)
    except ValueError:
        raise DeskError("`by` must be a whole number of places") from None
    fmt = desk.fmt()
    done = actions.move(desk.store, fmt, desk.now(), item_id, section=section, by=by)
    name = fmt.section(done.section).name
    if done.other_section or (done.changed and not by):
        message = f"Moved to {name}: {done.title}"
    elif done.changed:
        message = f"Moved {'up' if by < 0 else 'down'} in {name} ({done.position} of {done.placed}): {done.title}"
    else:  # the first item up, the last one down: nothing moved, nothing was written
        message = f"Already {'first in' if by < 0 else 'last in' if by > 0 else 'in'} {name}: {done.title}"
    key = desk.flash.put(message=message, current=item_id)
    return _back(request, form, key, "d-" + row_anchor(item_id))


@_handles
async def reorder(request: Request) -> Response:
    desk: Desk = request.app.state.desk
    form = await _form(request)
    ids = [v for v in form.getlist("ids") if isinstance(v, str)]
    actions.reorder(desk.store, desk.fmt(), desk.now(), _text(form, "section"), ids)
    key = desk.flash.put(message=f"New order in {_text(form, 'section')}")
    return _back(request, form, key)


async def edit_page(request: Request) -> Response:
    desk: Desk = request.app.state.desk
    item_id = request.query_params.get("id", "")
    try:
        entry, section = actions.item(desk.store, desk.fmt(), item_id)
    except DeskError as exc:
        return _refused(request, str(exc), 404)
    blurb, take = actions.split_take(entry.annotation.blurb)
    return _page(
        request,
        "edit.html",
        entry=entry,
        section=section,
        blurb=blurb,
        take=take,
        base=actions.version(entry.annotation.blurb),
        preview=_item_preview(request, entry),
        next=_local(request.query_params.get("next")),
    )


def _item_preview(request: Request, entry: Any) -> Markup:
    from pipeline.draft_markdown import item_markdown

    return render_markdown(item_markdown(entry, request.app.state.desk.fmt()))


@_handles
async def edit_save(request: Request) -> Response:
    desk: Desk = request.app.state.desk
    form = await _form(request)
    item_id = _text(form, "id")
    text = actions.join_take(_text(form, "blurb"), _text(form, "take"))
    entry, section = actions.item(desk.store, desk.fmt(), item_id)
    if _text(form, "action") in ("preview", "suggestion"):
        blurb = _text(form, "blurb")
        if _text(form, "action") == "suggestion" and entry.annotation.suggested_blurb:
            blurb = entry.annotation.suggested_blurb.text
            text = actions.join_take(blurb, _text(form, "take"))
        shown = entry.model_copy(update={"annotation": entry.annotation.model_copy(update={"blurb": text})})
        return _page(
            request,
            "edit.html",
            entry=entry,
            section=section,
            blurb=blurb,
            take=_text(form, "take"),
            base=_text(form, "base"),
            preview=_item_preview(request, shown),
            next=_local(_text(form, "next")),
        )
    try:
        actions.save_blurb(desk.store, desk.settings, desk.fmt(), item_id, text, _text(form, "base"))
    except StaleBlurb as exc:
        blurb, take = actions.split_take(exc.current)
        return _page(
            request,
            "edit.html",
            status=409,
            entry=entry,
            section=section,
            blurb=_text(form, "blurb"),
            take=_text(form, "take"),
            base=actions.version(exc.current),
            preview=_item_preview(request, entry),
            stale=exc,
            next=_local(_text(form, "next")),
        )
    except DeskError as exc:
        return _page(
            request,
            "edit.html",
            status=400,
            entry=entry,
            section=section,
            blurb=_text(form, "blurb"),
            take=_text(form, "take"),
            base=_text(form, "base"),
            preview=_item_preview(request, entry),
            error=str(exc),
            next=_local(_text(form, "next")),
        )
    key = desk.flash.put(message=f"Blurb saved: {entry.title}", current=item_id)
    return _back(request, form, key, "d-" + row_anchor(item_id))


@_handles
async def preview(request: Request) -> Response:
    """The item's block as the export will show it with the text being typed (for the live preview)."""
    desk: Desk = request.app.state.desk
    form = await _form(request)
    entry, _ = actions.item(desk.store, desk.fmt(), _text(form, "id"))
    text = actions.join_take(_text(form, "blurb"), _text(form, "take"))
    shown = entry.model_copy(update={"annotation": entry.annotation.model_copy(update={"blurb": text})})
    return HTMLResponse(str(_item_preview(request, shown)))


async def issue_page(request: Request) -> Response:
    desk: Desk = request.app.state.desk
    view = actions.draft_view(desk.store, desk.fmt(), desk.now())
    from pipeline.blurbs import titles_subject

    titles: list[str] = []
    if desk.store.latest_suggestions([titles_subject(view.number)]):  # the model's ideas, as the export reads them
        titles = actions.prepare(desk.store, desk.settings, desk.fmt(), desk.now()).titles
    tldr, base = actions.tldr_box(desk.store, desk.settings, desk.fmt(), desk.now())
    return _page(
        request,
        "issue.html",
        number=view.number,
        title=view.title,
        intro=view.intro,
        ideas=titles,
        tldr=tldr,
        tldr_base=base,
    )


@_handles
async def issue_save(request: Request) -> Response:
    desk: Desk = request.app.state.desk
    form = await _form(request)
    tldr = form.get("tldr")  # a form from before the TL;DR box leaves the TL;DR as it is
    try:
        actions.save_issue(
            desk.store,
            desk.fmt(),
            _text(form, "title"),
            _text(form, "intro"),
            tldr=_text(form, "tldr") if tldr is not None else None,
            base=_text(form, "tldr_base"),
            settings=desk.settings,
        )
    except actions.StaleTldr as exc:
        view = actions.draft_view(desk.store, desk.fmt(), desk.now())
        current, base = actions.tldr_box(desk.store, desk.settings, desk.fmt(), desk.now())
        return _page(
            request,
            "issue.html",
            status=409,
            number=view.number,
            title=_text(form, "title"),
            intro=_text(form, "intro"),
            ideas=[],
            tldr=exc.mine,
            tldr_base=base,
            stale=exc,
            current=current,
        )
    key = desk.flash.put(message="Title, intro and TL;DR saved" if tldr is not None else "Title and intro saved")
    return _back(request, form, key)


async def markdown_page(request: Request) -> Response:
    desk: Desk = request.app.state.desk
    d = actions.prepare(desk.store, desk.settings, desk.fmt(), desk.now())
    text = d.to_markdown()
    return _page(request, "markdown.html", number=d.number, source=text, html=render_markdown(text))


async def add_page(request: Request) -> Response:
    return _page(request, "add.html", report=None, text="")


@_handles
async def add_links(request: Request) -> Response:
    from starlette.concurrency import run_in_threadpool

    desk: Desk = request.app.state.desk
    form = await _form(request)
    text = _text(form, "links")
    report = await run_in_threadpool(actions.add_links, desk.store, desk.settings, text)
    return _page(request, "add.html", report=report, text="")


@_handles
async def export(request: Request) -> Response:
    desk: Desk = request.app.state.desk
    form = await _form(request)
    from starlette.concurrency import run_in_threadpool

    d, paths = await run_in_threadpool(
        actions.export, desk.store, desk.settings, desk.fmt(), desk.now(), force=_text(form, "force") == "yes"
    )
    key = desk.flash.put(message=f"Issue {d.number} exported: {', '.join(paths)}")
    return _back(request, form, key)


async def publish_page(request: Request) -> Response:
    desk: Desk = request.app.state.desk
    from pipeline import draft

    return _page(request, "publish.html", number=draft.next_number(desk.store))


@_handles
async def publish(request: Request) -> Response:
    desk: Desk = request.app.state.desk
    form = await _form(request)
    try:
        number = int(_text(form, "number"))
    except ValueError:
        raise DeskError("which issue? the form needs its number") from None
    if _text(form, "confirm") != "yes":
        return _page(request, "publish.html", number=number)
    done = actions.publish(desk.store, number, desk.now())
    key = desk.flash.put(
        message=f"Issue {number} published: {len(done.ids)} item{'' if len(done.ids) == 1 else 's'}; "
        f"the next draft is issue {number + 1}"
    )
    return RedirectResponse(f"/?flash={key}", 303)


async def login_page(request: Request) -> Response:
    return _page(request, "login.html", next=_local(request.query_params.get("next")))


async def login(request: Request) -> Response:
    desk: Desk = request.app.state.desk
    try:
        _same_site(request)
    except _Refused as exc:
        return _refused(request, str(exc), 403)
    form = await request.form()  # no CSRF token before signing in: the same-site check stands for it
    given = _text(form, "token")
    if not desk.token or not hmac.compare_digest(given.encode("utf-8"), desk.token.encode("utf-8")):
        time.sleep(0.2)  # slows guessing a little; the token's length does the rest
        return _page(request, "login.html", status=403, next=_local(_text(form, "next")), error="wrong token")
    response = RedirectResponse(_local(_text(form, "next")), 303)
    response.set_cookie(
        COOKIE,
        desk.cookie_value(),
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
        max_age=30 * 86400,
    )
    return response


def create_app(
    settings: Settings, host: str = "127.0.0.1", token: str | None = None, clock: Callable[[], datetime] | None = None
) -> Starlette:
    """The ASGI app. Raises DeskError when `host` is not loopback and no token is given."""
    if not is_loopback(host) and not token:
        raise DeskError(
            f"serving on {host} needs CURATE_SERVE_TOKEN: anyone who can reach the address could edit "
            "the issue (set a long random token, or serve on 127.0.0.1)"
        )
    desk = Desk(settings, host, token, clock or (lambda: datetime.now(UTC)))
    try:
        desk.fmt()
    except NewsletterError as exc:
        raise DeskError(str(exc)) from None
    routes = [
        Route("/", desk_page),
        Route("/triage", triage, methods=["POST"]),
        Route("/undo", undo, methods=["POST"]),
        Route("/move", move, methods=["POST"]),
        Route("/reorder", reorder, methods=["POST"]),
        Route("/edit", edit_page),
        Route("/edit", edit_save, methods=["POST"]),
        Route("/preview", preview, methods=["POST"]),
        Route("/issue", issue_page),
        Route("/issue", issue_save, methods=["POST"]),
        Route("/markdown", markdown_page),
        Route("/add", add_page),
        Route("/add", add_links, methods=["POST"]),
        Route("/export", export, methods=["POST"]),
        Route("/publish", publish_page),
        Route("/publish", publish, methods=["POST"]),
        Route("/login", login_page),
        Route("/login", login, methods=["POST"]),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(routes=routes, middleware=[Middleware(Guard)])
    app.state.desk = desk
    return app
