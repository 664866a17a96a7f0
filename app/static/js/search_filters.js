/* The search filters of FAB's list pages, started from data instead of FAB's inline script (the
   Content Security Policy runs no inline script). widgets/search.html puts the filters' data in
   <script type="application/json" id="filter_form_data">; FAB's AdminFilters (ab_filters.js)
   builds the filter rows from it. This file runs at the end of <body>, before the page is ready,
   where FAB's inline script used to run, so ab.js still styles the rows' lists on ready. */
(function ($) {
    "use strict";

    var data = document.getElementById("filter_form_data");
    if (!$ || !data || typeof window.AdminFilters !== "function") {
        return;
    }
    var filters = JSON.parse(data.textContent);
    new window.AdminFilters("#filter_form", filters.labels, filters.fields, filters.filters, filters.active);
}(window.jQuery));
