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
  var params = new URLSearchParams(location.search);
  var query = params.get("q") || "";
  var order = params.get("order") || "";
  if (order !== "asc" && order !== "desc") order = "";

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
  select.value = order;

  // The index is split in bundles, oldest first (pagefind/bundles.json): the first
  // is this one, the others are merged into it. With a date order, Pagefind scores
  // a result by its place in its own bundle, so each bundle weighs more than all
  // the places of the bundles before it (their records, multiplied).
  function merged(list) {
    var others = [];
    var weight = 1;
    for (var i = 0; i < list.length; i++) {
      if (i > 0) {
        var other = { bundlePath: new URL(list[i].path, bundle).pathname, baseUrl: root.pathname };
        if (order) other.indexWeight = weight;
        others.push(other);
      }
      weight *= list[i].records;
    }
    return others;
  }

  function bundleList(data) {
    var list = data && data.bundles;
    if (!Array.isArray(list)) return [];
    for (var i = 0; i < list.length; i++) {
      var item = list[i];
      if (!item || typeof item.path !== "string" || typeof item.records !== "number" || !(item.records >= 1)) return [];
    }
    return list;
  }

  var bundles = fetch(bundle.href + "bundles.json")
    .then(function (response) { return response.ok ? response.json() : null; })
    .then(bundleList, function () { return []; });

  // A combining mark with no letter before it leaves an empty word in Pagefind's
  // query once accents are folded, and an empty word matches every page (the
  // records that lead the bundles too): such marks are dropped.
  function withoutLoneMarks(term) {
    return term.replace(/(^|\s)\p{M}+/gu, "$1");
  }

  function start(list) {
    var options = {
      element: "#search",
      bundlePath: bundle.pathname,
      baseUrl: root.pathname,
      showImages: false,
      showSubResults: true,
      autofocus: !query,
      highlightParam: "highlight",
      openFilters: ["year"],
      translations: { placeholder: "Search the archive" },
      processTerm: withoutLoneMarks
    };
    if (order) options.sort = { date: order };
    var others = merged(list);
    if (others.length) options.mergeIndex = others;
    var ui = new window.PagefindUI(options);
    if (query) ui.triggerSearch(query);
  }
  // Another order is another page (?q=…&order=…), which can be linked to and gone
  // back from. A second UI on this page would race the first one's shutdown of the
  // index they share, and lose searches.
  select.addEventListener("change", function () {
    var input = box.querySelector("input");
    var next = new URLSearchParams();
    var words = input ? input.value : query;
    if (words) next.set("q", words);
    if (select.value) next.set("order", select.value);
    location.search = next.toString();
  });

  var script = document.createElement("script");
  script.src = bundle.href + "pagefind-ui.js";
  script.onload = function () { bundles.then(start); };
  script.onerror = function () {
    box.innerHTML = '<p class="notice">The search index could not be loaded. Browse the archive instead.</p>';
  };
  document.head.appendChild(script);
})();
