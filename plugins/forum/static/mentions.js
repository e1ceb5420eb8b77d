// Suggestions for @mentions under a post's text box (progressive enhancement: without this
// file members type @handle themselves). Typing "@ai" asks the board's members endpoint
// (textarea[data-mention-url]) and lists up to 8 members; arrow keys, Enter or Tab, a click
// or a tap insert "@handle ". Escape closes the list.
(function () {
  "use strict";
  var WORD = /(^|[^\p{L}\p{N}_@])@([\p{L}\p{N}_.\-]{1,30})$/u;
  var counter = 0;

  document.querySelectorAll("textarea[data-mention-url]").forEach(function (box) {
    var url = box.getAttribute("data-mention-url");
    var list = document.createElement("ul");
    var id = "mention-list-" + (++counter);
    var items = [];
    var active = -1;
    var timer = null;
    var asked = "";
    var start = -1;

    list.id = id;
    list.className = "mention-list";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", box.getAttribute("data-mention-label") || "");
    list.hidden = true;
    box.insertAdjacentElement("afterend", list);
    box.setAttribute("aria-autocomplete", "list");
    box.setAttribute("aria-controls", id);
    box.setAttribute("aria-expanded", "false");

    function close() {
      list.hidden = true;
      list.textContent = "";
      items = [];
      active = -1;
      box.setAttribute("aria-expanded", "false");
      box.removeAttribute("aria-activedescendant");
    }

    function highlight(n) {
      items.forEach(function (li, i) { li.setAttribute("aria-selected", i === n ? "true" : "false"); });
      active = n;
      if (n >= 0) { box.setAttribute("aria-activedescendant", items[n].id); }
    }

    function choose(handle) {
      var caret = box.selectionStart;
      var before = box.value.slice(0, start) + "@" + handle + " ";
      var after = box.value.slice(caret).replace(/^[\p{L}\p{N}_.\-]+/u, "");
      box.value = before + after;
      box.focus();
      box.setSelectionRange(before.length, before.length);
      close();
      box.dispatchEvent(new Event("input", {bubbles: true}));
    }

    function show(rows) {
      list.textContent = "";
      items = rows.map(function (row, i) {
        var li = document.createElement("li");
        li.id = id + "-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        var handle = document.createElement("strong");
        handle.textContent = "@" + row.handle;
        var name = document.createElement("span");
        name.textContent = row.name;
        li.appendChild(handle);
        li.appendChild(document.createTextNode(" "));
        li.appendChild(name);
        // Keep the focus (and the caret) in the text box on mouse and touch.
        li.addEventListener("pointerdown", function (e) { e.preventDefault(); });
        li.addEventListener("mousedown", function (e) { e.preventDefault(); });
        li.addEventListener("click", function () { choose(row.handle); });
        list.appendChild(li);
        return li;
      });
      if (!items.length) { close(); return; }
      list.hidden = false;
      box.setAttribute("aria-expanded", "true");
      highlight(0);
    }

    function lookup() {
      var m = WORD.exec(box.value.slice(0, box.selectionStart));
      if (!m) { asked = ""; close(); return; }
      var typed = m[2];
      start = box.selectionStart - typed.length - 1;
      if (typed === asked) { return; }
      asked = typed;
      fetch(url + "?q=" + encodeURIComponent(typed), {
        credentials: "same-origin", headers: {"Accept": "application/json"}
      }).then(function (resp) { return resp.ok ? resp.json() : []; }).then(function (rows) {
        if (typed === asked) { show(rows); }
      }).catch(function () {});
    }

    box.addEventListener("input", function () {
      if (timer) { clearTimeout(timer); }
      timer = setTimeout(lookup, 150);
    });
    box.addEventListener("keydown", function (e) {
      if (list.hidden || !items.length) { return; }
      if (e.key === "ArrowDown") {
        e.preventDefault();
        highlight((active + 1) % items.length);
      } else if (e.key === "ArrowUp") {
        e.preventDefault();
        highlight((active - 1 + items.length) % items.length);
      } else if ((e.key === "Enter" || e.key === "Tab") && active >= 0) {
        e.preventDefault();
        items[active].click();
      } else if (e.key === "Escape") {
        e.preventDefault();
        asked = "";
        close();
      }
    });
    box.addEventListener("blur", function () { setTimeout(close, 200); });
  });
})();
