/* FAB's Swagger UI page, started from a file (the Content Security Policy runs no inline script):
   the URL of the OpenAPI document comes from the data-gf-openapi-url attribute. */
(function () {
    "use strict";

    var root = document.getElementById("swagger-ui");
    if (!root || typeof window.SwaggerUIBundle !== "function") {
        return;
    }
    window.SwaggerUIBundle({
        url: root.getAttribute("data-gf-openapi-url"),
        dom_id: "#swagger-ui",
        presets: [window.SwaggerUIBundle.presets.apis, window.SwaggerUIBundle.SwaggerUIStandalonePreset],
        layout: "BaseLayout"
    });
}());
