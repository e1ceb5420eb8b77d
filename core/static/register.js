/* Registration: offer only the districts and schools of the chosen region, as the form's
   second step does without JavaScript (every option carries data-region). */
(function () {
  "use strict";
  var region = document.getElementById("region");
  if (!region) return;
  var selects = ["district", "school"].map(function (id) { return document.getElementById(id); });
  function filter() {
    var chosen = region.value;
    selects.forEach(function (select) {
      if (!select) return;
      Array.prototype.forEach.call(select.querySelectorAll("option[data-region]"), function (opt) {
        var keep = !chosen || opt.getAttribute("data-region") === chosen;
        opt.hidden = !keep;
        opt.disabled = !keep;
        if (!keep && opt.selected) select.value = "";
      });
      Array.prototype.forEach.call(select.querySelectorAll("optgroup"), function (group) {
        group.hidden = !group.querySelector("option:not([hidden])");
      });
    });
  }
  region.addEventListener("change", filter);
  filter();
  var step = document.querySelector(".region-step");
  if (step) step.hidden = true;
})();
