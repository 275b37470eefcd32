// Marks the searched words on an article opened from a search result
// (?highlight=w1+w2), in its title and its text, and brings the first into view.
// A classic script of its own, not Pagefind's highlighter: it works from disk too.
(function () {
  "use strict";
  var asked = new URLSearchParams(location.search).get("highlight");
  if (!asked) return;
  var WORD = /[\p{L}\p{N}\p{M}]+/gu;
  // Case and accents do not count, as in search (the offline index's rules).
  function normalise(text) {
    return text.normalize("NFKD").replace(/(?![\u3099\u309a])\p{Mn}/gu, "").normalize("NFC")
      .toLowerCase().replace(/ß/g, "ss").replace(/ς/g, "σ");
  }
  // Scripts written without spaces are matched anywhere in a run of letters.
  var UNSPACED = /[\u1100-\u11ff\u3005-\u3007\u3040-\u30ff\u3130-\u318f\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]/u;
  var terms = (normalise(asked).match(WORD) || []).slice(0, 20);
  var PREFIX_FROM = 3; // offline-search.js's: a shorter word is whole
  if (!terms.length) return;

  // A word is marked when it begins with a searched word: the searched words are
  // those the index matched, or what was typed (the last word perhaps a prefix).
  // A searched word of one or two letters marks itself alone, as the offline
  // index matches it ("of" is not "officials").
  function matches(word) {
    var normal = normalise(word);
    for (var i = 0; i < terms.length; i++) {
      if (normal === terms[i]) return true;
      if (normal.indexOf(terms[i]) === 0 && Array.from(terms[i]).length >= PREFIX_FROM) return true;
      if (UNSPACED.test(terms[i]) && normal.indexOf(terms[i]) > 0) return true;
    }
    return false;
  }

  function mark(node) {
    var text = node.data, pieces = [], at = 0, found;
    WORD.lastIndex = 0;
    while ((found = WORD.exec(text))) {
      if (!matches(found[0])) continue;
      pieces.push(document.createTextNode(text.slice(at, found.index)));
      var marked = document.createElement("mark");
      marked.className = "search-highlight";
      marked.textContent = found[0];
      pieces.push(marked);
      at = found.index + found[0].length;
    }
    if (!pieces.length) return;
    pieces.push(document.createTextNode(text.slice(at)));
    node.replaceWith.apply(node, pieces);
  }

  function start() {
    var places = document.querySelectorAll(".article-header h1, .article-body");
    places.forEach(function (place) {
      var walker = document.createTreeWalker(place, NodeFilter.SHOW_TEXT, {
        acceptNode: function (node) {
          // Paragraph links and code are not the article's words.
          return node.parentElement.closest(".cite, script, style, pre, code") ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT;
        }
      });
      var nodes = [];
      while (walker.nextNode()) nodes.push(walker.currentNode);
      nodes.forEach(mark);
    });
    var first = document.querySelector("mark.search-highlight");
    // A paragraph named in the address is where the reader asked to be.
    if (first && !location.hash) first.scrollIntoView({ block: "center" });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
