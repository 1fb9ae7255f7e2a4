// Page behaviour, kept out of the templates so the Content-Security-Policy can forbid inline scripts.
(function () {
  "use strict";

  // Bar widths come from data-pct: inline style attributes are forbidden by the CSP as well.
  function drawBars(root) {
    root.querySelectorAll("[data-pct]").forEach(function (bar) {
      bar.style.width = bar.dataset.pct + "%";
    });
  }

  // A select that submits its form when changed (the language switcher).
  function autosubmit() {
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
  }

  function setProgress(pct) {
    var bar = document.getElementById("progress-bar");
    bar.dataset.pct = pct;
    bar.style.width = pct + "%";
    document.getElementById("progress-pct").textContent = pct;
  }

  // An import being checked: poll its progress, reload once it is done.
  function followImport() {
    var card = document.getElementById("progress-card");
    if (!card) { return; }
    function poll() {
      fetch(card.dataset.progressUrl, {credentials: "same-origin"})
        .then(function (r) { return r.json(); })
        .then(function (data) {
          setProgress(data.progress_pct);
          if (data.status === "uploaded" || data.status === "validating") { setTimeout(poll, 1000); } else { window.location.reload(); }
        })
        .catch(function () { setTimeout(poll, 3000); });
    }
    setTimeout(poll, 1000);
  }

  // An open recompute run: poll its progress, reload once it has finished.
  function followRun() {
    var card = document.getElementById("run-progress");
    if (!card || card.dataset.open !== "1") { return; }
    function poll() {
      fetch(card.dataset.progressUrl, {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (r) { return r.json(); })
        .then(function (run) {
          setProgress(run.progress_pct);
          document.getElementById("models-done").textContent = run.models_done;
          document.getElementById("revisions").textContent = run.footprints_written;
          if (run.finished_at) { window.location.reload(); } else { setTimeout(poll, 1000); }
        })
        .catch(function () { setTimeout(poll, 3000); });
    }
    setTimeout(poll, 1000);
  }

  drawBars(document);
  autosubmit();
  followImport();
  followRun();
})();
