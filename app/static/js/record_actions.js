/* What FAB's list and record pages did in inline scripts, from one file (the Content Security Policy
   runs no inline script). The links carry their data in attributes written by
   appbuilder/general/lib.html:
   - data-gf-delete="URL": ask for confirmation, then post the page's hidden form to URL;
   - data-gf-action-url="URL": a record's action, posted at once or after data-gf-confirm;
   - data-gf-bulk-action="NAME": an action on the rows checked in the list;
   - data-gf-confirm="TEXT": the question of the confirmation dialog (confirm.html).
   The "select all" box and the shading of checked rows are FAB's (ab_actions.js) behaviour.
   One confirmation is pending at a time: a dialog closed without OK forgets it. */
(function ($) {
    "use strict";

    if (!$) {
        return;
    }
    var pending = null;

    function confirmThen(question, run) {
        if (!question) {
            run();
            return;
        }
        pending = run;
        $("#modal-confirm .modal-text").text(question);
        $("#modal-confirm").modal("show");
    }

    function submitTo(form, url) {
        if (url) {
            form.attr("action", url);
        }
        form.trigger("submit");
    }

    function postRecord(url) {
        // FAB renders one hidden form per page: #action_form when the view has actions.
        var form = $("#action_form");
        submitTo(form.length ? form : $("#delete_form"), url);
    }

    function postChecked(actionName) {
        var form = $("#action_form");
        $("#action", form).val(actionName);
        $("input.action_check", form).remove();
        $("input.action_check:checked").each(function () {
            form.append($(this).clone());
        });
        submitTo(form, null);
    }

    $(document).on("click", "[data-gf-delete]", function (event) {
        event.preventDefault();
        var url = this.getAttribute("data-gf-delete");
        confirmThen(this.getAttribute("data-gf-confirm"), function () { postRecord(url); });
    });

    $(document).on("click", "[data-gf-action-url]", function (event) {
        event.preventDefault();
        var url = this.getAttribute("data-gf-action-url");
        confirmThen(this.getAttribute("data-gf-confirm"), function () { submitTo($("#action_form"), url); });
    });

    $(document).on("click", "[data-gf-bulk-action]", function (event) {
        event.preventDefault();
        var name = this.getAttribute("data-gf-bulk-action");
        if ($("input.action_check:checked").length === 0) {
            window.ab_alert(document.body.getAttribute("data-gf-no-row-selected") || "No row selected");
            return;
        }
        confirmThen(this.getAttribute("data-gf-confirm"), function () { postChecked(name); });
    });

    $(document).on("click", "#modal-confirm-ok", function (event) {
        if (!pending) {
            return;
        }
        event.preventDefault();
        var run = pending;
        pending = null;
        run();
    });

    $(document).on("hidden.bs.modal", "#modal-confirm", function () {
        pending = null;
    });

    $(document).on("click", ".action_check_all", function () {
        $(".action_check").prop("checked", this.checked).trigger("change");
    });

    $(document).on("change", ".action_check", function () {
        $(this).closest("tr").toggleClass("success", this.checked);
    });
}(window.jQuery));
