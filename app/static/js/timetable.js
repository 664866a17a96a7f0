/* Timetable builder — progressive enhancement only; every page works without it.
   - The course filter narrows the list of courses as one types (checked courses stay visible) and
     announces how many are shown.
   - The availability grid is a single tab stop moved through with the arrow keys; a checked cell
     is shaded at once and the number of unavailable hours is announced.
   - After "Generate", the focus moves to the results' heading. */
(function () {
    "use strict";

    function normalise(text) {
        return text.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
    }

    function courseFilter(field) {
        var items = Array.prototype.slice.call(document.querySelectorAll(".gf-tt-course"));
        var count = document.getElementById("course-count");
        var template = count ? count.getAttribute("data-gf-template") : null;

        function apply() {
            var query = normalise(field.value.trim());
            var shown = 0;
            items.forEach(function (item) {
                var box = item.querySelector("input[type=checkbox]");
                var visible = !query || box.checked || normalise(item.getAttribute("data-gf-text")).indexOf(query) !== -1;
                item.hidden = !visible;
                shown += visible ? 1 : 0;
            });
            document.querySelectorAll(".gf-tt-course-group").forEach(function (group) {
                group.hidden = !group.querySelector(".gf-tt-course:not([hidden])");
            });
            if (count && template) {
                count.textContent = template.replace("{shown}", shown).replace("{total}", items.length);
            }
        }

        var timer = null;
        field.addEventListener("input", function () {
            window.clearTimeout(timer);
            timer = window.setTimeout(apply, 250);
        });
    }

    // The availability grid is one tab stop (roving tabindex): the arrow keys, Home and End move
    // between its checkboxes, Space checks one, and a status line says how many hours are checked.
    function grid(table) {
        var rows = Array.prototype.slice.call(table.tBodies[0].rows);
        var boxes = rows.map(function (row) {
            return Array.prototype.slice.call(row.querySelectorAll("input[type=checkbox]"));
        });
        var all = [].concat.apply([], boxes);
        var summary = document.getElementById(table.getAttribute("data-gf-summary"));
        var moves = {ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1]};

        function current(box) {
            all.forEach(function (other) { other.tabIndex = other === box ? 0 : -1; });
        }

        function announce() {
            if (!summary) {
                return;
            }
            var count = all.filter(function (box) { return box.checked; }).length;
            var template = summary.getAttribute(count === 1 ? "data-gf-one" : "data-gf-many");
            summary.textContent = template.replace("{count}", count);
        }

        current(all.filter(function (box) { return box.checked; })[0] || all[0]);
        table.addEventListener("keydown", function (event) {
            if (event.target.type !== "checkbox") {
                return;
            }
            var target = null;
            for (var r = 0; r < boxes.length && !target; r += 1) {
                var c = boxes[r].indexOf(event.target);
                if (c === -1) {
                    continue;
                }
                if (moves[event.key]) {
                    var row = boxes[r + moves[event.key][0]];
                    target = (row && row[c + moves[event.key][1]]) || event.target;
                } else if (event.key === "Home") {
                    target = event.ctrlKey ? all[0] : boxes[r][0];
                } else if (event.key === "End") {
                    target = event.ctrlKey ? all[all.length - 1] : boxes[r][boxes[r].length - 1];
                } else {
                    return;
                }
            }
            if (target) {
                event.preventDefault();
                current(target);
                target.focus();
            }
        });
        table.addEventListener("focusin", function (event) {
            if (event.target.type === "checkbox") {
                current(event.target);
            }
        });
        table.addEventListener("change", function (event) {
            var cell = event.target.closest("td");
            if (cell) {
                cell.classList.toggle("gf-tt-slot-on", event.target.checked);
            }
            announce();
        });
    }

    document.addEventListener("DOMContentLoaded", function () {
        var field = document.querySelector("[data-gf-course-filter]");
        if (field) {
            courseFilter(field);
        }
        document.querySelectorAll("table[data-gf-grid]").forEach(grid);
        // After "Generate", the results are far below the form: move the focus to their heading.
        var results = document.getElementById("results-heading");
        if (results) {
            results.focus();
        }
    });
}());
