// gatehouse: starts Swagger UI for /docs (not part of swagger-ui-dist).
//
// The configuration (spec list, preselected spec, OAuth2 redirect page) is
// rendered by the Go handler into <script type="application/json"
// id="docs-config">; this file only hands it to SwaggerUIBundle, so that
// the page can keep a Content-Security-Policy without inline scripts.
(function () {
  "use strict";

  var node = document.getElementById("docs-config");
  if (!node || typeof SwaggerUIBundle !== "function") {
    return;
  }
  var cfg = JSON.parse(node.textContent);
  var urls = cfg.urls || [];
  if (!urls.length) {
    return;
  }

  function replaceQuery(params) {
    var q = params.toString();
    window.history.replaceState(
      null,
      "",
      window.location.pathname + (q ? "?" + q : "") + window.location.hash
    );
  }

  // Swagger UI's top bar prefers ?urls.primaryName= over the configured
  // primary spec; ?api= (handled by the server) must win, so drop the other.
  var params = new URLSearchParams(window.location.search);
  if (params.has("api") && params.has("urls.primaryName")) {
    params.delete("urls.primaryName");
    replaceQuery(params);
  }

  var apiByURL = {};
  urls.forEach(function (u) {
    apiByURL[u.url] = u.api;
  });

  window.ui = SwaggerUIBundle({
    dom_id: "#swagger-ui",
    urls: urls.map(function (u) {
      return { url: u.url, name: u.name };
    }),
    "urls.primaryName": cfg.primaryName,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
    plugins: [SwaggerUIBundle.plugins.DownloadUrl],
    layout: "StandaloneLayout",
    deepLinking: true,
    queryConfigEnabled: false,
    // null disables the badge that would call validator.swagger.io.
    validatorUrl: null,
    oauth2RedirectUrl: window.location.origin + cfg.oauth2RedirectPath
  });

  // When a person picks another API in the top bar, keep the address as
  // /docs?api=<name> so that it can be shared or reloaded.
  document.addEventListener("change", function (ev) {
    var t = ev.target;
    if (!t || t.tagName !== "SELECT" || !t.closest(".topbar")) {
      return;
    }
    var api = apiByURL[t.value];
    if (!api) {
      return;
    }
    window.setTimeout(function () {
      var p = new URLSearchParams(window.location.search);
      p.delete("urls.primaryName");
      p.set("api", api);
      replaceQuery(p);
    }, 0);
  });
})();
