// Quote a selection: selecting text inside one post shows a "Quote" button that adds
// "> **Author** [wrote](link):" and the selected lines to the reply box of the topic page.
// Without this file the per-post "Quote" link opens the reply form with the whole post quoted.
(function () {
  "use strict";
  var form = document.querySelector("form[data-quote-button]");
  var box = form && form.querySelector("textarea[name=body]");
  if (!box) { return; }
  var button = document.createElement("button");
  button.type = "button";
  button.className = "quote-selection";
  button.textContent = form.getAttribute("data-quote-button");
  button.hidden = true;
  document.body.appendChild(button);
  var chosen = null;  // {text, author, url}: kept because a tap may clear the selection

  function postOf(node) {
    var el = node && (node.nodeType === 1 ? node : node.parentElement);
    var body = el && el.closest(".post .body");
    var post = body && body.closest("article.post[data-quote-author]");
    return post ? {post: post, body: body} : null;
  }

  function hide() { button.hidden = true; chosen = null; }

  function check() {
    var sel = window.getSelection();
    if (!sel || sel.isCollapsed || !sel.rangeCount) { if (document.activeElement !== button) { hide(); } return; }
    var a = postOf(sel.anchorNode);
    var b = postOf(sel.focusNode);
    var text = sel.toString().trim();
    if (!a || !b || a.body !== b.body || !text) { hide(); return; }
    chosen = {text: text, author: a.post.getAttribute("data-quote-author"), url: a.post.getAttribute("data-quote-url")};
    var rect = sel.getRangeAt(0).getBoundingClientRect();
    var left = Math.max(8, Math.min(rect.left + window.scrollX, document.documentElement.clientWidth + window.scrollX - 120));
    button.style.left = left + "px";
    button.style.top = (rect.bottom + window.scrollY + 8) + "px";
    button.hidden = false;
  }

  function quote() {
    if (!chosen) { return; }
    var lines = chosen.text.split(/\r?\n/).map(function (line) { return "> " + line; });
    var head = "> **" + chosen.author + "** [" + form.getAttribute("data-quote-wrote") + "](" + chosen.url + "):";
    var before = box.value.replace(/\s+$/, "");
    box.value = (before ? before + "\n\n" : "") + head + "\n" + lines.join("\n") + "\n\n";
    hide();
    var sel = window.getSelection();
    if (sel) { sel.removeAllRanges(); }
    box.focus();
    box.setSelectionRange(box.value.length, box.value.length);
    box.scrollIntoView({block: "center"});
    box.dispatchEvent(new Event("input", {bubbles: true}));
  }

  var timer = null;
  document.addEventListener("selectionchange", function () {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(check, 200);
  });
  button.addEventListener("pointerdown", function (e) { e.preventDefault(); });
  button.addEventListener("mousedown", function (e) { e.preventDefault(); });
  button.addEventListener("click", quote);
})();
