// Search from disk.  A page opened over file:// may not load Pagefind (modules,
// WebAssembly) nor fetch JSON, but it may run classic scripts: the build writes
// an index of such scripts (broadsheet/offline_index.py describes the format),
// and this file loads only the ones a query needs, ranks, and shows the results.
(function () {
  "use strict";

  // ---- Text rules: the same as in broadsheet/offline_index.py ----

  var MARKS = /(?![\u3099\u309a])\p{Mn}/gu; // combining marks, but not kana voicing
  var WORD = /[\p{L}\p{N}\p{M}]+/gu;
  var CJK = "\\u1100-\\u11ff\\u3005-\\u3007\\u3040-\\u30ff\\u3130-\\u318f\\u31f0-\\u31ff\\u3400-\\u4dbf" +
    "\\u4e00-\\u9fff\\ua960-\\ua97f\\uac00-\\ud7af\\uf900-\\ufaff\\u{20000}-\\u{3134f}";
  var CJK_RUN = new RegExp("([" + CJK + "]+)", "u");
  var CJK_CHAR = new RegExp("^[" + CJK + "]", "u");
  var MAX_TERM = 40;
  var DIGITS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  var VALUE = new Int8Array(128);
  for (var d = 0; d < DIGITS.length; d++) VALUE[DIGITS.charCodeAt(d)] = d;

  function normalise(text) {
    return text.normalize("NFKD").replace(MARKS, "").normalize("NFC")
      .toLowerCase().replace(/ß/g, "ss").replace(/ς/g, "σ");
  }

  function words(text) {
    var runs = [];
    (normalise(text).match(WORD) || []).forEach(function (run) {
      run.split(CJK_RUN).forEach(function (part) { if (part) runs.push(part); });
    });
    return runs;
  }

  // A query's terms.  The last word is a prefix while it is being typed (no space
  // after it yet).  Han, kana and Hangul are indexed as pairs of characters: a
  // longer run asks for its pairs, a single character for the pairs it starts.
  function queryTerms(query) {
    var runs = words(query), typing = /[\p{L}\p{N}\p{M}]$/u.test(query), seen = {}, found = [];
    function add(term, prefix) {
      var key = (prefix ? "*" : "=") + term;
      if (!seen[key]) found.push({ term: term, prefix: prefix });
      seen[key] = true;
    }
    runs.forEach(function (run, i) {
      var letters = Array.from(run);
      if (CJK_CHAR.test(run)) {
        if (letters.length === 1) add(run, true);
        for (var j = 0; j + 1 < letters.length; j++) add(letters[j] + letters[j + 1], false);
      } else {
        add(letters.slice(0, MAX_TERM).join(""), i === runs.length - 1 && typing && letters.length > 1);
      }
    });
    return found;
  }

  // ---- Loading the index's scripts, each once ----

  var base = "", received = {}, pending = {}, loaded = [];
  // Each script names its shard ("2019/") first; the list of shards names none.
  var api = window.__offlineSearch = {
    shards: function (list) { received.shards = list; },
    manifest: function (shard, data) { received["manifest:" + shard] = data; },
    terms: function (shard, key, postings) { received["terms:" + shard + key] = postings; },
    docs: function (shard, first, records) { received["docs:" + shard + first] = records; },
    loaded: loaded // the files loaded so far, in order: read by the tests and the benchmark
  };

  function load(path, name) {
    if (!pending[name]) {
      pending[name] = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = base + path;
        script.onload = function () {
          if (name in received) resolve(received[name]);
          else reject(new Error(path + " did not register"));
        };
        script.onerror = function () { reject(new Error("cannot load " + path)); };
        loaded.push(path);
        document.head.appendChild(script);
      });
    }
    return pending[name];
  }

  // The manifests of every shard, newest first, each with its place in the site.
  function shards() {
    return load("index.js", "shards").then(function (list) {
      return Promise.all(list.map(function (shard) {
        return load(shard.path + "index.js", "manifest:" + shard.path).then(function (index) {
          if (!index.position) {
            index.position = new Map(index.keys.map(function (key, i) { return [key, i]; }));
            index.path = shard.path;
            index.first = shard.first;
          }
          return index;
        });
      }));
    });
  }

  // ---- Postings and ranking ----

  // The chunk of a term: the longest chunk key that begins it.
  function chunkOf(index, term) {
    var letters = Array.from(term);
    for (var n = letters.length; n > 0; n--) {
      var key = letters.slice(0, n).join("");
      if (index.position.has(key)) return key;
    }
    return null;
  }

  function chunksFor(index, query) {
    var own = chunkOf(index, query.term), keys = own === null ? [] : [own];
    if (query.prefix) {
      index.keys.forEach(function (key) {
        if (key.length > query.term.length && key.indexOf(query.term) === 0) keys.push(key);
      });
    }
    return Promise.all(keys.map(function (key) {
      return load(index.path + "terms/" + index.position.get(key) + ".js", "terms:" + index.path + key);
    }));
  }

  // Calls visit(document, level) for each posting of "LEVELS:DOCUMENTS".
  function decode(postings, visit) {
    var colon = postings.indexOf(":"), n = 0, i;
    if (postings.charAt(colon + 1) === "*") { // a bitmap, six documents a character
      for (i = colon + 2; i < postings.length; i++) {
        var bits = VALUE[postings.charCodeAt(i)];
        for (var b = 0; b < 6; b++) {
          if (bits & (1 << b)) visit((i - colon - 2) * 6 + b, VALUE[postings.charCodeAt(n++)]);
        }
      }
      return;
    }
    var doc = -1, gap = 0; // gaps, five bits a character, 32 and up meaning "more follows"
    for (i = colon + 1; i < postings.length; i++) {
      var digit = VALUE[postings.charCodeAt(i)];
      gap = gap * 32 + (digit & 31);
      if (digit < 32) {
        doc += gap + 1;
        visit(doc, VALUE[postings.charCodeAt(n++)]);
        gap = 0;
      }
    }
  }

  // Each document's score for one query term; 0 where the term is missing.
  function scoresFor(index, query, chunks) {
    var scores = new Float64Array(index.documents);
    chunks.forEach(function (chunk) {
      Object.keys(chunk).forEach(function (term) {
        if (term !== query.term && !(query.prefix && term.indexOf(query.term) === 0)) return;
        // A longer word that only begins with what was typed counts for less.
        var weight = term === query.term ? 1 : query.term.length / term.length;
        decode(chunk[term], function (doc, level) {
          scores[doc] = Math.max(scores[doc], (level + 1) * weight);
        });
      });
    });
    return scores;
  }

  // The documents of one shard that hold every term, numbered in the whole site,
  // with their scores on the scale of every shard.
  function rankShard(index, queries) {
    return Promise.all(queries.map(function (q) {
      return chunksFor(index, q).then(function (chunks) { return scoresFor(index, q, chunks); });
    })).then(function (lists) {
      var hits = [];
      for (var doc = 0; lists.length && doc < index.documents; doc++) {
        var total = 0;
        for (var t = 0; t < lists.length && total >= 0; t++) total = lists[t][doc] ? total + lists[t][doc] : -1;
        if (total > 0) hits.push({ doc: index.first + doc, local: doc, index: index, score: total * index.scale });
      }
      return hits;
    });
  }

  // Documents that hold every term, best first (or by date: numbers are newest first).
  function rank(query, order) {
    return shards().then(function (indexes) {
      var queries = queryTerms(query);
      return Promise.all(indexes.map(function (index) { return rankShard(index, queries); })).then(function (lists) {
        var hits = [].concat.apply([], lists);
        hits.sort(function (a, b) {
          if (order === "desc") return a.doc - b.doc;
          if (order === "asc") return b.doc - a.doc;
          return b.score - a.score || a.doc - b.doc;
        });
        return { hits: hits, terms: queries };
      });
    });
  }

  // [title, date, url, excerpt, language, direction] of each hit's document.
  function records(hits) {
    return Promise.all(hits.map(function (hit) {
      var index = hit.index, first = hit.local - hit.local % index.perChunk;
      var name = index.path + "docs/" + first / index.perChunk + ".js";
      return load(name, "docs:" + index.path + first).then(function (list) { return list[hit.local - first]; });
    }));
  }

  // The first `count` results of a query, with their records.
  api.search = function (query, count, order) {
    return rank(query, order).then(function (ranked) {
      return records(ranked.hits.slice(0, count)).then(function (shown) {
        return { ranked: ranked, records: shown };
      });
    });
  };
  api.queryTerms = queryTerms;
  api.words = words;

  // ---- The search page ----

  var PAGE = 10;
  var MONTHS = ["January", "February", "March", "April", "May", "June", "July",
    "August", "September", "October", "November", "December"];

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function longDate(iso) {
    var parts = iso.split("-");
    return Number(parts[2]) + " " + MONTHS[Number(parts[1]) - 1] + " " + parts[0];
  }

  // The excerpt as text, with the words that match the query marked.
  function markedExcerpt(text, terms) {
    var paragraph = element("p", "excerpt"), last = 0;
    text.replace(WORD, function (word, at) {
      var normal = normalise(word);
      var hit = terms.some(function (t) { return !CJK_CHAR.test(t.term) && normal.indexOf(t.term) === 0; });
      if (hit) {
        paragraph.appendChild(document.createTextNode(text.slice(last, at)));
        paragraph.appendChild(element("mark", "", word));
        last = at + word.length;
      }
      return word;
    });
    paragraph.appendChild(document.createTextNode(text.slice(last)));
    return paragraph;
  }

  function result(record, terms, root) {
    var item = element("li"), teaser = element("article", "teaser");
    teaser.lang = record[4];
    teaser.dir = record[5];
    var heading = element("h2"), link = element("a", "", record[0]);
    link.href = root + record[2] + "index.html"; // from disk, a folder does not open its index.html
    heading.appendChild(link);
    var byline = element("p", "byline"), time = element("time", "", longDate(record[1]));
    time.dateTime = record[1];
    byline.appendChild(time);
    teaser.append(heading, byline, markedExcerpt(record[3], terms));
    item.appendChild(teaser);
    return item;
  }

  function start() {
    var box = document.getElementById("search");
    var form = document.querySelector(".search-fallback");
    if (!box || !form || location.protocol !== "file:") return;
    base = box.getAttribute("data-offline");
    var root = box.getAttribute("data-root");
    var input = form.querySelector("input");
    var order = element("label", "search-sort", "Order ");
    var select = element("select");
    [["", "by relevance"], ["desc", "newest first"], ["asc", "oldest first"]].forEach(function (option) {
      var node = element("option", "", option[1]);
      node.value = option[0];
      select.appendChild(node);
    });
    order.appendChild(select);
    var status = element("p", "search-status");
    status.setAttribute("role", "status");
    var list = element("ol", "article-list search-results");
    var more = element("button", "search-more", "More results");
    more.type = "button";
    more.hidden = true;
    box.append(order, status, list, more);

    var shown = 0, current = 0, query = "";
    function show(count) {
      var asked = ++current;
      if (!query.trim()) {
        status.textContent = "";
        list.textContent = "";
        more.hidden = true;
        return;
      }
      api.search(query, count, select.value).then(function (found) {
        if (asked !== current) return; // a newer query has started
        var total = found.ranked.hits.length;
        status.textContent = total === 0 ? "No articles match \u201c" + query.trim() + "\u201d."
          : total + (total === 1 ? " article matches \u201c" : " articles match \u201c") + query.trim() + "\u201d.";
        list.textContent = "";
        found.records.forEach(function (record) { list.appendChild(result(record, found.ranked.terms, root)); });
        shown = found.records.length;
        more.hidden = shown >= total;
      }).catch(function () {
        if (asked !== current) return;
        status.textContent = "The search index could not be loaded. Browse the archive instead.";
      });
    }
    function run() {
      query = input.value;
      try { history.replaceState(null, "", "?q=" + encodeURIComponent(query)); } catch (e) { /* not allowed here */ }
      show(PAGE);
    }
    var timer = 0;
    input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(run, 150); });
    form.addEventListener("submit", function (event) { event.preventDefault(); clearTimeout(timer); run(); });
    select.addEventListener("change", function () { show(Math.max(PAGE, shown)); });
    more.addEventListener("click", function () { show(shown + PAGE); });
    input.value = new URLSearchParams(location.search).get("q") || "";
    if (input.value) run();
    else input.focus();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
