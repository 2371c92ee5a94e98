// Starts the Scalar API reference (loaded just before this file) on the OpenAPI document named in the page.
(function () {
  const el = document.getElementById("api-reference");
  const scalar = globalThis.Scalar;
  if (!el || !scalar) return;
  scalar.createApiReference(el, {
    url: el.dataset.url,
    withDefaultFonts: false,
    metaData: { title: "OptiBid API reference" },
  });
})();
