// curate serve: keys, drag and drop, and forms that update the page in place.
// Plain JavaScript on top of pages that work as plain forms; no build step, no library.
// Hand-written rather than htmx: the page needs a form-to-fragment swap, a key map and a
// drag list, which fit in this one file with no third-party code to vendor and keep current.
(function () {
  "use strict";

  var undoStack = [];

  function csrf() { return document.body.getAttribute("data-csrf"); }

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("li.row, li.drow"));
  }

  function current() {
    return document.querySelector("li.current") || null;
  }

  function select(row, focus) {
    var old = current();
    if (old) { old.classList.remove("current"); old.removeAttribute("aria-current"); }
    if (!row) { return; }
    row.classList.add("current");
    row.setAttribute("aria-current", "true");
    if (focus !== false) { row.focus({ preventScroll: true }); }
    row.scrollIntoView({ block: "nearest" });
  }

  function rowById(id, draftFirst) {
    var all = rows().filter(function (r) { return r.getAttribute("data-id") === id; });
    if (draftFirst) { all.sort(function (a) { return a.classList.contains("drow") ? -1 : 1; }); }
    return all[0] || null;
  }

  // ---- forms that swap the page's <main> instead of reloading it

  function swap(html, url, keepId, draftFirst) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var main = doc.querySelector("main");
    if (!main) { document.open(); document.write(html); document.close(); return; }
    document.querySelector("main").innerHTML = main.innerHTML;
    document.title = doc.title;
    var csrfNew = doc.body.getAttribute("data-csrf");
    if (csrfNew) { document.body.setAttribute("data-csrf", csrfNew); }
    if (url) { history.replaceState(null, "", url.replace(/[?&]flash=[^&#]*/, "").replace(/\?$/, "").replace(/#.*$/, "")); }
    var undo = document.querySelector("form[data-undo]");
    if (undo) { undoStack.push(new FormData(undo)); }
    if (keepId) { select(rowById(keepId, draftFirst)); }
  }

  function post(form, submitter) {
    var data = new FormData(form);
    if (submitter && submitter.name) { data.append(submitter.name, submitter.value); }
    var row = form.closest("li.row, li.drow");
    var keepId = row ? row.getAttribute("data-id") : (current() ? current().getAttribute("data-id") : null);
    var draftFirst = !!(row && row.classList.contains("drow"));
    var action = (submitter && submitter.getAttribute("formaction")) || form.getAttribute("action");
    return fetch(action, { method: "POST", body: data, credentials: "same-origin",
                                headers: { "X-CSRF-Token": csrf() } })
      .then(function (r) { return r.text().then(function (t) { swap(t, r.url, keepId, draftFirst); }); });
  }

  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (!form.hasAttribute("data-enhance")) { return; }
    e.preventDefault();
    if (form.hasAttribute("data-undo")) { undoStack.pop(); }
    post(form, e.submitter);
  });

  // ---- keys

  function typing(el) {
    if (!el) { return false; }
    var tag = el.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable;
  }

  function press(row, key) {
    var el = row && row.querySelector('[data-key="' + key + '"]');
    if (!el && row && row.classList.contains("drow")) {  // s, x, p on a draft row act on its candidate row
      var twin = rowById(row.getAttribute("data-id"), false);
      el = twin && twin.classList.contains("row") ? twin.querySelector('[data-key="' + key + '"]') : null;
    }
    if (!el) { return; }
    if (el.tagName === "A") { window.location.href = el.href; return; }
    el.form.requestSubmit(el);
  }

  // Shift+J on the last item of a draft section (Shift+K on the first) would move nothing:
  // say so on the status line instead of asking the server
  function say(text) {
    var line = document.getElementById("flash");
    if (!line) { return; }
    var p = document.createElement("p");
    p.className = "flash";
    p.textContent = text;
    line.replaceChildren(p);
  }

  function moveInDraft(row, key) {
    if (row && row.classList.contains("drow")) {
      var list = row.parentNode;
      var placed = list.querySelectorAll("li.drow");
      var end = key === "J" ? placed[placed.length - 1] : placed[0];
      if (end === row) {
        var title = row.querySelector(".title");
        var heading = document.getElementById(list.getAttribute("aria-labelledby"));
        say("Already " + (key === "J" ? "last" : "first") + " in " + (heading ? heading.textContent : "its section") +
            ": " + (title ? title.textContent : row.getAttribute("data-id")));
        return;
      }
    }
    press(row, key);
  }

  function openKeys() {
    var dialog = document.getElementById("keys");
    if (dialog && !dialog.open) { dialog.showModal(); }
  }

  document.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey || typing(e.target) || e.defaultPrevented) { return; }
    var dialog = document.getElementById("keys");
    if (dialog && dialog.open) { return; }
    var list = rows();
    var row = current();
    var i = row ? list.indexOf(row) : -1;
    switch (e.key) {
      case "j": select(list[Math.min(i + 1, list.length - 1)]); break;
      case "k": select(list[Math.max(i - 1, 0)]); break;
      case "s": press(row, "s"); break;
      case "x": press(row, "x"); break;
      case "p": press(row, "p"); break;
      case "e": press(row, "e"); break;
      case "J": moveInDraft(row && row.classList.contains("row") ? rowById(row.getAttribute("data-id"), true) : row, "J"); break;
      case "K": moveInDraft(row && row.classList.contains("row") ? rowById(row.getAttribute("data-id"), true) : row, "K"); break;
      case "o":
        if (row) { window.open(row.getAttribute("data-url"), "_blank", "noopener,noreferrer"); }
        break;
      case "u": {
        var data = undoStack.pop();
        if (!data) { return; }
        data.set("csrf", csrf());
        var id = data.get("id");
        fetch("/undo", { method: "POST", body: data, credentials: "same-origin", headers: { "X-CSRF-Token": csrf() } })
          .then(function (r) { return r.text().then(function (t) { swap(t, r.url, id); }); });
        break;
      }
      case "/": {
        var search = document.getElementById("f-q");
        if (search) { search.focus(); search.select(); }
        break;
      }
      case "?": openKeys(); break;
      default: return;
    }
    e.preventDefault();
  });

  // a click on a row makes it the current one (keys act on it)
  document.addEventListener("click", function (e) {
    var row = e.target.closest && e.target.closest("li.row, li.drow");
    if (row) { select(row, false); }
  });

  // ---- drag and drop in the draft

  var dragged = null;
  document.addEventListener("dragstart", function (e) {
    var row = e.target.closest && e.target.closest("li.drow");
    if (!row) { return; }
    dragged = row;
    e.dataTransfer.effectAllowed = "move";
    e.dataTransfer.setData("text/plain", row.getAttribute("data-id"));
  });
  document.addEventListener("dragover", function (e) {
    var over = e.target.closest && e.target.closest("li.drow");
    if (!dragged || !over || over === dragged || over.parentNode !== dragged.parentNode) { return; }
    e.preventDefault();
    var box = over.getBoundingClientRect();
    over.parentNode.insertBefore(dragged, (e.clientY - box.top) > box.height / 2 ? over.nextSibling : over);
  });
  document.addEventListener("drop", function (e) { if (dragged) { e.preventDefault(); } });
  document.addEventListener("dragend", function () {
    if (!dragged) { return; }
    var list = dragged.parentNode;
    var id = dragged.getAttribute("data-id");
    dragged = null;
    var data = new FormData();
    data.append("csrf", csrf());
    data.append("section", list.getAttribute("data-section"));
    data.append("next", location.pathname + location.search);
    Array.prototype.forEach.call(list.querySelectorAll("li.drow"), function (li) { data.append("ids", li.getAttribute("data-id")); });
    fetch("/reorder", { method: "POST", body: data, credentials: "same-origin", headers: { "X-CSRF-Token": csrf() } })
      .then(function (r) { return r.text().then(function (t) { swap(t, r.url, id, true); }); });
  });

  // ---- live preview of a blurb as the export renders it

  var timer = null;
  document.addEventListener("input", function (e) {
    var form = e.target.form;
    if (!form || !form.hasAttribute("data-preview")) { return; }
    clearTimeout(timer);
    timer = setTimeout(function () {
      var data = new FormData(form);
      fetch("/preview", { method: "POST", body: data, credentials: "same-origin", headers: { "X-CSRF-Token": csrf() } })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) { if (html !== null) { document.getElementById("preview").innerHTML = html; } });
    }, 250);
  });

  document.addEventListener("DOMContentLoaded", function () {
    var button = document.getElementById("keys-button");
    if (button) { button.hidden = false; button.addEventListener("click", openKeys); }
    var hash = location.hash && document.getElementById(location.hash.slice(1));
    if (hash && hash.matches("li.row, li.drow")) { select(hash); }
  });
}());
