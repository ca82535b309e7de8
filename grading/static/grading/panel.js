// Refreshes an assignment panel while a submission waits for its grade, so the grade and
// the feedback link appear without reloading the page. Without JavaScript the panel says
// "Waiting to be graded" and a reload shows the grade.
(function () {
  "use strict";
  var DELAY_MS = 1000, GIVE_UP_AFTER = 600;
  function watch(panel, tries) {
    var url = panel.getAttribute("data-panel-url");
    if (!url || !panel.hasAttribute("data-pending") || tries > GIVE_UP_AFTER) { return; }
    window.setTimeout(function () {
      fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) {
          if (html === null) { return watch(panel, tries + 1); }
          var holder = document.createElement("div");
          holder.innerHTML = html.trim();
          var fresh = holder.querySelector("[data-assignment-panel]");
          if (!fresh) { return; }
          panel.replaceWith(fresh);
          watch(fresh, tries + 1);
        })
        .catch(function () { watch(panel, tries + 1); });
    }, DELAY_MS);
  }
  document.querySelectorAll("[data-assignment-panel][data-pending]").forEach(function (panel) {
    watch(panel, 0);
  });
}());
