/* Progress bars of background jobs (templates/jobs/_progress.html): poll the element's
   data-progress-url for {label, percent, finished, failed, download_url} and show it; stop once
   the job is over. No inline script: the Content Security Policy forbids it. */
(function () {
    "use strict";

    var EVERY_MS = 1500;

    function show(box, state) {
        var bar = box.querySelector(".gf-job-bar");
        box.querySelector(".gf-job-status").textContent = state.label;
        if (state.percent !== null && state.percent !== undefined) {
            bar.value = state.percent;
            bar.textContent = state.percent + " %";
            box.querySelector(".gf-job-percent").textContent = state.percent + " %";
        }
        if (state.failed) {
            box.querySelector(".gf-job-failed").hidden = false;
        }
        if (state.download_url) {
            var link = box.querySelector(".gf-job-download");
            link.querySelector("a").setAttribute("href", state.download_url);
            link.hidden = false;
        }
    }

    function poll(box) {
        var url = box.getAttribute("data-progress-url");
        fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
            .then(function (response) {
                if (!response.ok) {
                    throw new Error(response.status);
                }
                return response.json();
            })
            .then(function (state) {
                show(box, state);
                if (!state.finished) {
                    window.setTimeout(function () { poll(box); }, EVERY_MS);
                }
            })
            .catch(function () {
                window.setTimeout(function () { poll(box); }, EVERY_MS * 4);
            });
    }

    document.addEventListener("DOMContentLoaded", function () {
        Array.prototype.forEach.call(document.querySelectorAll("[data-job-progress]"), function (box) {
            if (box.getAttribute("data-finished") !== "true") {
                poll(box);
            }
        });
    });
}());
