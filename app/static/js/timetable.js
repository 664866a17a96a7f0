/* Timetable builder — progressive enhancement only; every page works without it.
   - The course filter narrows the list of courses as one types (checked courses stay visible) and
     announces how many are shown.
   - In the availability grid, the arrow keys move between the checkboxes of the table, and a
     checked cell is shaded at once. */
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

    function grid(table) {
        var rows = Array.prototype.slice.call(table.tBodies[0].rows);
        var boxes = rows.map(function (row) {
            return Array.prototype.slice.call(row.querySelectorAll("input[type=checkbox]"));
        });
        var moves = {ArrowUp: [-1, 0], ArrowDown: [1, 0], ArrowLeft: [0, -1], ArrowRight: [0, 1]};

        table.addEventListener("keydown", function (event) {
            var move = moves[event.key];
            if (!move || event.target.type !== "checkbox") {
                return;
            }
            for (var r = 0; r < boxes.length; r += 1) {
                var c = boxes[r].indexOf(event.target);
                if (c !== -1) {
                    var row = boxes[r + move[0]];
                    var target = row && row[c + move[1]];
                    if (target) {
                        target.focus();
                    }
                    event.preventDefault();
                    return;
                }
            }
        });
        table.addEventListener("change", function (event) {
            var cell = event.target.closest("td");
            if (cell) {
                cell.classList.toggle("gf-tt-slot-on", event.target.checked);
            }
        });
    }

    document.addEventListener("DOMContentLoaded", function () {
        var field = document.querySelector("[data-gf-course-filter]");
        if (field) {
            courseFilter(field);
        }
        document.querySelectorAll("table[data-gf-grid]").forEach(grid);
    });
}());
