/* Draws the charts of the reports pages with the vendored Chart.js (app/static/vendor/chartjs).
   Each <canvas data-gf-chart="ID"> reads its data from <script type="application/json" id="ID">
   (data, never run: the Content Security Policy runs no inline script). The data table that
   follows each chart gives the same figures to everyone, screen readers included. */
(function () {
    "use strict";
    if (typeof window.Chart === "undefined") {
        return;
    }
    var lang = document.documentElement.getAttribute("lang") || "fr";
    var numbers = new Intl.NumberFormat(lang + "-CA", {maximumFractionDigits: 1});
    // Colours told apart by people with the common colour-vision deficiencies (Okabe–Ito).
    var palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#56B4E9", "#E69F00"];
    var reference = "#B00020";
    var still = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    window.Chart.defaults.font.family = "inherit";
    window.Chart.defaults.color = "#222";

    function axis(title, stacked, isValue) {
        var options = {stacked: !!stacked, beginAtZero: true};
        if (!isValue) {
            options.ticks = {autoSkip: false};  // every category named, e.g. every region
        } else {
            options.ticks = {callback: function (value) { return numbers.format(value); }};
            if (title) {
                options.title = {display: true, text: title};
            }
        }
        return options;
    }

    document.querySelectorAll("canvas[data-gf-chart]").forEach(function (canvas) {
        var block = document.getElementById(canvas.getAttribute("data-gf-chart"));
        if (!block) {
            return;
        }
        var spec = JSON.parse(block.textContent);
        var horizontal = !!spec.horizontal;
        if (horizontal) {
            // one bar row per category: the chart grows with them (17 regions stay readable)
            canvas.parentNode.style.height = Math.max(220, 60 + 28 * spec.labels.length) + "px";
        }
        var datasets = spec.datasets.map(function (set, index) {
            return {label: set.label, data: set.data, backgroundColor: palette[index % palette.length],
                    borderColor: palette[index % palette.length], borderWidth: 1,
                    stack: spec.stacked ? "all" : undefined};
        });
        if (spec.reference) {
            datasets.push({type: "line", label: spec.reference.label,
                           data: spec.labels.map(function () { return spec.reference.value; }),
                           borderColor: reference, backgroundColor: reference, borderDash: [6, 4],
                           borderWidth: 2, pointRadius: 0, fill: false});
        }
        new window.Chart(canvas, {
            type: "bar",
            data: {labels: spec.labels, datasets: datasets},
            options: {
                indexAxis: horizontal ? "y" : "x",
                responsive: true,
                maintainAspectRatio: false,
                animation: still ? false : {duration: 400},
                scales: {
                    x: axis(spec.axis, spec.stacked, horizontal),
                    y: axis(spec.axis, spec.stacked, !horizontal)
                },
                plugins: {
                    legend: {position: "bottom"},
                    tooltip: {callbacks: {label: function (context) {
                        var value = horizontal ? context.parsed.x : context.parsed.y;
                        return context.dataset.label + (lang === "fr" ? " : " : ": ") + numbers.format(value);
                    }}}
                }
            }
        });
    });
}());
