// Live updates: the server sends the id of each changed account; the page fetches that
// account's fresh row and the latest alerts and swaps them in, without a reload.
(function () {
  "use strict";
  var status = document.getElementById("live-status");
  function say(text) { if (status) { status.textContent = text; } }

  function refreshRow(accountId) {
    var row = document.getElementById("account-" + accountId);
    if (!row) { return Promise.resolve(); }
    return fetch("/dashboard/fragments/accounts/" + encodeURIComponent(accountId), {
      credentials: "same-origin", headers: { "Accept": "text/html" }
    }).then(function (response) {
      if (response.status === 401) { window.location.assign("/dashboard/login"); return; }
      if (!response.ok) { return; }
      return response.text().then(function (html) {
        var holder = document.createElement("tbody");
        holder.innerHTML = html.trim();
        var fresh = holder.querySelector("tr");
        if (fresh) { row.replaceWith(fresh); }
      });
    });
  }

  function refreshAlerts() {
    var box = document.getElementById("alerts");
    if (!box) { return Promise.resolve(); }
    return fetch("/dashboard/fragments/alerts", { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) { return; }
      return response.text().then(function (html) { box.innerHTML = html; });
    });
  }

  if (!window.EventSource) { say("Live updates need a browser with server-sent events; reload to refresh."); return; }
  var source = new EventSource("/dashboard/stream");
  source.onopen = function () { say("Live: figures update as accounts change."); };
  source.onerror = function () { say("Live updates interrupted; reconnecting…"); };
  source.addEventListener("change", function (event) {
    refreshRow(event.data).then(refreshAlerts);
  });
  // The server lost its feed for a while: changes may have been missed, refresh every row.
  source.addEventListener("resync", function () {
    var rows = document.querySelectorAll("tr[data-account]");
    var pending = Array.prototype.map.call(rows, function (row) { return refreshRow(row.dataset.account); });
    Promise.all(pending).then(refreshAlerts);
  });
})();
