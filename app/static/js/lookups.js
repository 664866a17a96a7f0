/* Search-as-you-type relation fields of the back office (app/views/admin/lookups.py):
   a <select class="gf-lookup" data-lookup-url="..."> holds only the chosen row; Select2 asks
   the view's look-up endpoint for the rows matching what is typed. */
(function ($) {
    "use strict";
    if (!$ || !$.fn.select2) {
        return;
    }
    $(function () {
        $("select.gf-lookup").each(function () {
            var select = $(this);
            select.select2({
                width: "100%",
                allowClear: !select.prop("required"),
                placeholder: select.data("placeholder") || "",
                minimumInputLength: parseInt(select.data("min-length") || "1", 10),
                ajax: {
                    url: select.data("lookup-url"),
                    dataType: "json",
                    delay: 250,
                    data: function (params) { return {q: params.term || ""}; },
                    processResults: function (data) { return {results: data.results || []}; }
                }
            });
        });
    });
}(window.jQuery));
