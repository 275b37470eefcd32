// The search page: Pagefind's UI, loaded only here, only when served over http(s).
// Opened from disk, offline-search.js searches instead.
(function () {
  "use strict";
  var box = document.getElementById("search");
  if (!box) return;
  var fallback = document.querySelector(".search-fallback");
  // Browsers refuse Pagefind's modules and WebAssembly from disk.
  if (location.protocol === "file:") return;
  if (fallback) fallback.hidden = true;
  var bundle = new URL(box.getAttribute("data-bundle"), location.href);
  var root = new URL(box.getAttribute("data-root"), location.href);
  var query = new URLSearchParams(location.search).get("q") || "";

  var css = document.createElement("link");
  css.rel = "stylesheet";
  css.href = bundle.href + "pagefind-ui.css";
  document.head.appendChild(css);

  var sortLabel = document.createElement("label");
  sortLabel.className = "search-sort";
  sortLabel.innerHTML = 'Order <select><option value="">by relevance</option>' +
    '<option value="desc">newest first</option><option value="asc">oldest first</option></select>';
  box.parentNode.insertBefore(sortLabel, box);
  var select = sortLabel.querySelector("select");

  var ui = null;
  function start(order) {
    var options = {
      element: "#search",
      bundlePath: bundle.pathname,
      baseUrl: root.pathname,
      showImages: false,
      showSubResults: true,
      autofocus: !query,
      highlightParam: "highlight",
      openFilters: ["year"],
      translations: { placeholder: "Search the archive" }
    };
    if (order) options.sort = { date: order };
    if (ui) ui.destroy();
    ui = new window.PagefindUI(options);
    if (query) ui.triggerSearch(query);
  }
  select.addEventListener("change", function () {
    var input = box.querySelector("input");
    if (input && input.value) query = input.value;
    start(select.value);
  });

  var script = document.createElement("script");
  script.src = bundle.href + "pagefind-ui.js";
  script.onload = function () { start(""); };
  script.onerror = function () {
    box.innerHTML = '<p class="notice">The search index could not be loaded. Browse the archive instead.</p>';
  };
  document.head.appendChild(script);
})();
