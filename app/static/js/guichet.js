/* Guichet Francisation — what FAB's scripts leave in English or unnamed:
   - the date pickers and the select2 lists speak the page language (names of months and days
     come from the browser's Intl, the few words from data attributes on <body>);
   - the search filters that ab_filters.js builds (a condition list and a value field per
     filter) get accessible names.
   The defaults are set when this file loads, before ab.js initialises the widgets on ready. */
(function ($) {
    "use strict";

    var lang = document.documentElement.lang || "fr";
    var words = document.body.dataset;

    function named(options, date) {
        options.timeZone = "UTC";
        return new Intl.DateTimeFormat(lang, options).format(date);
    }

    function datepickerLanguage() {
        var months = [], monthsShort = [], days = [], daysShort = [], daysMin = [];
        var month, weekday, date;
        for (month = 0; month < 12; month += 1) {
            date = new Date(Date.UTC(2024, month, 15));
            months.push(named({month: "long"}, date));
            monthsShort.push(named({month: "short"}, date));
        }
        for (weekday = 0; weekday < 7; weekday += 1) {
            date = new Date(Date.UTC(2024, 0, 7 + weekday));  // 7 January 2024 was a Sunday
            days.push(named({weekday: "long"}, date));
            daysShort.push(named({weekday: "short"}, date));
            daysMin.push(daysShort[weekday].slice(0, 2));
        }
        return {days: days, daysShort: daysShort, daysMin: daysMin, months: months,
                monthsShort: monthsShort, today: words.gfToday, clear: words.gfClear,
                format: "yyyy-mm-dd", weekStart: 0};
    }

    if ($ && $.fn.datepicker && lang !== "en" && window.Intl) {
        $.fn.datepicker.dates[lang] = datepickerLanguage();
        $.fn.datepicker.defaults.language = lang;
    }
    if ($ && $.fn.select2 && $.fn.select2.defaults) {
        $.fn.select2.defaults.set("language", {
            noResults: function () { return words.gfNoResults; },
            searching: function () { return words.gfSearching; },
            errorLoading: function () { return words.gfErrorLoading; },
            loadingMore: function () { return words.gfSearching; }
        });
    }

    function nameFilters(form) {
        form.querySelectorAll("table.filters tr").forEach(function (row) {
            var remove = row.querySelector("a.remove-filter");
            if (!remove) {
                return;
            }
            var column = remove.textContent.replace("\u00d7", "").trim();
            remove.setAttribute("aria-label", words.gfRemoveFilter + " (" + column + ")");
            var condition = row.querySelector("select.filter-op");
            if (condition) {
                condition.setAttribute("aria-label", column + " (" + words.gfFilterCondition + ")");
            }
            row.querySelectorAll(".filter_val").forEach(function (field) {
                field.setAttribute("aria-label", column + " (" + words.gfFilterValue + ")");
            });
        });
    }

    // select2 lists: the inline search field gets the name of the field's label, and the
    // "clear all" cross leaves the <ul> of choices (a list holds only list items).
    function mendSelect2() {
        document.querySelectorAll(".select2-container").forEach(function (container) {
            var select = container.previousElementSibling;
            var label = select && select.id ? document.querySelector("label[for='" + select.id + "']") : null;
            var name = label ? label.textContent.trim() : (words.gfSearching || "");
            container.querySelectorAll(".select2-search__field:not([aria-label]), " +
                    ".select2-selection__rendered[role=textbox]:not([aria-label])").forEach(function (field) {
                field.setAttribute("aria-label", name);
            });
            container.querySelectorAll("ul.select2-selection__rendered > :not(li)").forEach(function (stray) {
                stray.parentNode.parentNode.insertBefore(stray, stray.parentNode);
            });
        });
    }

    // Tables wider than a phone scroll sideways inside their own box, which the keyboard can reach
    // (a named region, one tab stop) only when it does scroll.
    function scrollableTables() {
        document.querySelectorAll("main table").forEach(function (table) {
            var box = table.parentElement;
            if (!box.classList.contains("table-responsive") && !box.classList.contains("gf-tt-scroll")) {
                box = document.createElement("div");
                box.className = "table-responsive";
                table.parentNode.insertBefore(box, table);
                box.appendChild(table);
            }
            var caption = table.querySelector("caption");
            if (box.scrollWidth > box.clientWidth + 1 && !box.hasAttribute("tabindex")) {
                box.setAttribute("tabindex", "0");
                box.setAttribute("role", "region");
                box.setAttribute("aria-label", caption ? caption.textContent.trim() : (words.gfTable || "table"));
            }
        });
    }

    document.addEventListener("DOMContentLoaded", function () {
        scrollableTables();
        if (document.querySelector("select")) {
            mendSelect2();
            new MutationObserver(mendSelect2).observe(document.body, {childList: true, subtree: true});
        }
        var form = document.getElementById("filter_form");
        if (!form) {
            return;
        }
        nameFilters(form);
        // Filters are added and removed by ab_filters.js; setting attributes does not re-trigger.
        new MutationObserver(function () { nameFilters(form); })
            .observe(form, {childList: true, subtree: true});
    });
}(window.jQuery));
