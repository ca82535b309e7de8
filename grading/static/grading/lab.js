// The "Starting your lab" page: polls the server's state, moves the progress bar and goes
// to the notebook as soon as the lab is ready. (Without JavaScript the page refreshes
// itself every two seconds and the server redirects when ready.)
(function () {
  "use strict";
  var box = document.querySelector("[data-lab-wait]");
  if (!box) { return; }
  var url = box.getAttribute("data-status-url");
  var bar = box.querySelector("progress");
  var message = box.querySelector("[data-lab-message]");
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        if (data.state === "ready" && data.url) { window.location.assign(data.url); return; }
        if (data.state === "starting") {
          bar.value = Math.max(bar.value, data.progress || 0);
          window.setTimeout(poll, 1000);
          return;
        }
        message.textContent = data.message || "";
      })
      .catch(function () { window.setTimeout(poll, 2000); });
  }
  window.setTimeout(poll, 500);
}());
