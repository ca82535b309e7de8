// The "Starting your lab" page: polls the server's state (the hub's progress events, passed on
// by the site with their messages translated), moves the progress bar and goes to the notebook
// as soon as the lab is ready. Between two events of the hub the bar keeps moving towards the
// next step (never past 95%), so a start of 10-15 seconds never looks stuck. A failed start,
// or one that takes longer than data-give-up-after seconds, says so and offers to try again.
// (Without JavaScript the page refreshes itself every two seconds and the server redirects
// when ready.) Every word comes from the page (translated by the site).
(function () {
  "use strict";
  var box = document.querySelector("[data-lab-wait]");
  if (!box) { return; }
  var url = box.getAttribute("data-status-url");
  var giveUpAfter = Number(box.getAttribute("data-give-up-after")) || 240;
  var bar = box.querySelector("progress");
  var percentText = box.querySelector("[data-lab-percent]");
  var elapsedText = box.querySelector("[data-lab-elapsed]");
  var message = box.querySelector("[data-lab-message]");
  var failedBox = box.querySelector("[data-lab-failed]");
  var errorText = box.querySelector("[data-lab-error]");
  var started = Date.now();
  var hubPercent = Number(bar.value) || 0;
  var hubPercentSince = started;
  var done = false;
  var ticker = null;

  function show(percent) {
    var value = Math.max(Number(bar.value) || 0, Math.min(100, Math.round(percent)));
    bar.value = value;
    bar.textContent = value + "%";
    percentText.textContent = String(value);
  }

  function tick() {
    var now = Date.now();
    var seconds = Math.floor((now - started) / 1000);
    elapsedText.textContent = box.getAttribute("data-elapsed-text")
      .replace("SECONDS", String(seconds));
    if (done) { return; }
    // Towards 95% with a time constant of eight seconds from the hub's last step.
    var ceiling = Math.max(hubPercent, 95);
    var eased = hubPercent + (ceiling - hubPercent) *
      (1 - Math.exp(-(now - hubPercentSince) / 8000));
    show(eased);
    if (seconds >= giveUpAfter) { fail(box.getAttribute("data-timeout-message")); }
  }

  function fail(text) {
    done = true;
    window.clearInterval(ticker);
    box.classList.add("lab-wait--failed");
    message.textContent = "";
    errorText.textContent = text;
    failedBox.hidden = false;
  }

  function poll() {
    if (done) { return; }
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        if (done) { return; }
        if (data.state === "ready" && data.url) {
          done = true;
          show(100);
          if (data.message) { message.textContent = data.message; }
          window.location.assign(data.url);
          return;
        }
        if (data.state === "starting") {
          var percent = Number(data.progress) || 0;
          if (percent > hubPercent) { hubPercent = percent; hubPercentSince = Date.now(); }
          if (data.message) { message.textContent = data.message; }
          window.setTimeout(poll, 1000);
          return;
        }
        fail(data.message || box.getAttribute("data-down-message"));
      })
      .catch(function () { window.setTimeout(poll, 2000); });
  }

  tick();
  ticker = window.setInterval(tick, 250);
  window.setTimeout(poll, 300);
}());
