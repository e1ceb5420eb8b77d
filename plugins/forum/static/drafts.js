// Forum drafts: save the topic or reply being written a few seconds after typing stops.
// Progressive enhancement: without this file the "Save draft" button does the same.
(function () {
  "use strict";
  var DELAY = 3000;
  document.querySelectorAll("form[data-draft-url][data-draft-key]").forEach(function (form) {
    var body = form.querySelector("textarea[name=body]");
    var title = form.querySelector("input[name=title]");
    var token = form.querySelector("input[name=csrf_token]");
    var status = form.querySelector(".draft-status");
    if (!body || !token) { return; }
    var timer = null;
    var last = (title ? title.value : "") + "\u0000" + body.value;
    function save() {
      var now = (title ? title.value : "") + "\u0000" + body.value;
      if (now === last) { return; }
      var data = new FormData();
      data.append("csrf_token", token.value);
      data.append("key", form.getAttribute("data-draft-key"));
      data.append("title", title ? title.value : "");
      data.append("body", body.value);
      fetch(form.getAttribute("data-draft-url"), {
        method: "POST", body: data, credentials: "same-origin",
        headers: {"X-Requested-With": "fetch"}
      }).then(function (resp) { return resp.ok ? resp.json() : null; }).then(function (json) {
        if (json && json.saved) {
          last = now;
          if (status) { status.textContent = json.message; }
        }
      }).catch(function () {});
    }
    function later() {
      if (timer) { clearTimeout(timer); }
      timer = setTimeout(save, DELAY);
    }
    body.addEventListener("input", later);
    if (title) { title.addEventListener("input", later); }
  });
})();
