// The release page while a check runs: ask the status endpoint every few seconds, show how
// long it has been running, and put the report in place when the check is done (no reload).
(function () {
  "use strict";
  var box = document.querySelector("[data-release-report]");
  if (!box) { return; }
  var url = box.getAttribute("data-status-url");
  var started = Date.now();
  var timer = null;

  function running() { return box.querySelector("[data-release-progress]") !== null; }

  function tick() {
    var elapsed = box.querySelector("[data-release-elapsed]");
    if (elapsed) {
      var seconds = Math.round((Date.now() - started) / 1000);
      elapsed.textContent = box.getAttribute("data-elapsed-text").replace("{seconds}", seconds);
    }
  }

  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (data) {
        if (data.done) {
          box.innerHTML = data.html;
          var button = document.querySelector("[data-release-button]");
          if (button && data.button) { button.textContent = data.button; }
          window.clearInterval(timer);
          return;
        }
        tick();
        window.setTimeout(poll, 2000);
      })
      .catch(function () {
        window.clearInterval(timer);
        var progress = box.querySelector("[data-release-progress]");
        if (progress) { progress.textContent = box.getAttribute("data-failed-text"); }
      });
  }

  if (running()) {
    timer = window.setInterval(tick, 1000);
    tick();
    window.setTimeout(poll, 1500);
  }
})();
