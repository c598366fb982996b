// The fair page's planning progress: while a plan is being made, ask the page route
// /fairs/{id}/plan/status (a few hundred bytes of JSON) every two seconds and update the status box; when the
// job ends, load the page again so that its links and forms match the new state. Polling a small JSON keeps
// the reader's place and focus on the page, and the box is a polite live region, so a screen reader hears the
// progress; a <meta http-equiv="refresh"> would reload the whole page (losing both) every few seconds.
// Without JavaScript the page offers a link to refresh by hand.
(function () {
  "use strict";
  var box = document.getElementById("plan-status");
  if (!box || box.getAttribute("data-state") !== "running") { return; }
  var url = box.getAttribute("data-poll");
  var label = box.querySelector('[data-part="label"]');
  var detail = box.querySelector('[data-part="detail"]');
  var bar = box.querySelector("progress");

  function show(s) {
    if (label) { label.textContent = s.label; }
    if (detail) { detail.textContent = "已用 " + s.elapsed + " 秒，求解时限 " + Math.round(s.time_limit) + " 秒"; }
    if (bar && s.percent !== null) { bar.value = s.percent; bar.textContent = s.percent + "%"; }
  }

  function tick() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" }, cache: "no-store" })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
      .then(function (s) {
        show(s);
        if (s.state === "running") { setTimeout(tick, 2000); return; }
        if (detail) { detail.textContent = "正在刷新页面…"; }
        window.location.replace(window.location.pathname + "#plan");
      })
      .catch(function () { setTimeout(tick, 5000); });
  }
  setTimeout(tick, 1000);
}());
