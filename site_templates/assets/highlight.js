// Marks the searched words on an article opened from a search result (?highlight=…).
// Loaded with every article, but fetches Pagefind's highlighter only when needed.
(function () {
  "use strict";
  var script = document.currentScript;
  if (location.protocol === "file:" || !/[?&]highlight=/.test(location.search)) return;
  var url = new URL(script.getAttribute("data-bundle") + "pagefind-highlight.js", location.href);
  import(url.href).then(function (module) {
    new module.default({ highlightParam: "highlight" });
  }).catch(function () {});
})();
