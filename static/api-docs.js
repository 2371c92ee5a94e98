// Starts the Scalar API reference (loaded just before this file) on the OpenAPI document named in the page.
// Not on an element with Scalar's own id (#api-reference): the script mounts one there by itself, with its
// defaults, and this configuration would never apply.
// Self-hosted: no web fonts from Scalar's CDN (the page's CSP allows fonts from itself only; system fonts are
// used), and none of Scalar's hosted services (its AI agent, MCP set-up, "deploy to Scalar" developer tools),
// which would send the reader, or our API's description, off-site.
(function () {
  const el = document.getElementById("api-docs");
  const scalar = globalThis.Scalar;
  if (!el || !scalar) return;
  scalar.createApiReference(el, {
    url: el.dataset.openapi,
    withDefaultFonts: false,
    agent: { disabled: true },
    mcp: { disabled: true },
    showDeveloperTools: "never",
    metaData: { title: "OptiBid API reference" },
  });
})();
