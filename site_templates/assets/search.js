// The search page, for both engines: served over http(s) it asks Pagefind (its
// JavaScript API, loaded only here); opened from disk, where browsers refuse
// Pagefind's modules and WebAssembly, it asks the site's own offline index
// (window.__offlineSearch, from offline-search.js), as it does served on a
// site built with `served-search = "offline"`.  Both answer in one shape
// (see `pagefindSearch`), and this file shows the answer.
//
// The address holds the state (?q=…&year=2023&month=04&order=desc): typing
// replaces the current history entry, a search or a filter chosen adds one, and
// Back or a shared link shows that search again.  Nothing here navigates.
(function () {
  "use strict";
  var box = document.getElementById("search");
  var form = document.querySelector("form.search-form");
  if (!box || !form) return;

  var PAGE = 10;
  // The words this script writes come from the page, in the site's language
  // (search.html writes them from the site's catalog and CLDR).
  var WORDS = {};
  try {
    WORDS = JSON.parse(document.getElementById("search-words").textContent) || {};
  } catch (e) { /* a page without them: the names of the messages show */ }
  var MONTHS = WORDS.months || ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "11", "12"];
  var language = document.documentElement.lang || "en";
  var pluralRules = null;
  try { pluralRules = new Intl.PluralRules(language); } catch (e) { /* a language the browser does not know */ }

  // A message with its {placeholders} filled in (as text: no value is read as
  // a pattern); a counted one in the plural form of its count.
  function say(name, values, count) {
    var text = WORDS[name];
    if (text && typeof text === "object") {
      var category = pluralRules ? pluralRules.select(count) : count === 1 ? "one" : "other";
      text = text[category] || text.other;
    }
    if (typeof text !== "string") return name;
    return text.replace(/\{(\w+)\}/g, function (whole, key) {
      return values && Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : whole;
    });
  }

  function monthAndYear(month, year) {
    var patterns = WORDS.monthYear || [];
    var pattern = patterns[Number(month) - 1];
    return pattern ? pattern.replace("{year}", function () { return year; }) : MONTHS[Number(month) - 1] + " " + year;
  }
  // From disk the offline index answers, and served too where the site says so
  // (data-served="offline": then it has no Pagefind bundles).
  var fromDisk = location.protocol === "file:";
  var offline = fromDisk || box.getAttribute("data-served") === "offline";
  var input = document.getElementById("search-query");
  var yearSelect = document.getElementById("search-year");
  var monthSelect = document.getElementById("search-month");
  var orderSelect = document.getElementById("search-order");
  var monthField = monthSelect.closest(".search-month-field");
  var options = form.querySelector(".search-options");
  var chosen = form.querySelector(".search-chosen");
  var status = box.querySelector(".search-status");
  var list = box.querySelector(".search-results");
  var more = box.querySelector(".search-more");
  var bundle = new URL(box.getAttribute("data-bundle"), location.href);
  var root = new URL(box.getAttribute("data-root"), location.href);

  // ---- The state and the address ----

  function clean(state) {
    var year = /^\d{4}$/.test(state.year || "") ? state.year : "";
    var month = year && /^(0[1-9]|1[0-2])$/.test(state.month || "") ? state.month : "";
    var order = state.order === "asc" || state.order === "desc" ? state.order : "";
    return { q: state.q || "", year: year, month: month, order: order };
  }

  function fromAddress() {
    var params = new URLSearchParams(location.search);
    return clean({ q: params.get("q"), year: params.get("year"), month: params.get("month"), order: params.get("order") });
  }

  function fromControls() {
    return clean({ q: input.value, year: yearSelect.value, month: monthSelect.value, order: orderSelect.value });
  }

  function address(state) {
    var params = new URLSearchParams();
    ["q", "year", "month", "order"].forEach(function (key) { if (state[key]) params.set(key, state[key]); });
    var query = params.toString();
    return query ? "?" + query : location.pathname.replace(/^.*\//, "") || "./";
  }

  // What made the current history entry: "typing", a control's id, or "" (a
  // search submitted or the page opened).  Typing after a committed search adds
  // one entry and then replaces it; going through a select's options with the
  // arrow keys adds one entry for the select, not one for each option.
  var entryKind = "";

  function record(kind) {
    var url = address(fromControls());
    var same = url === address(fromAddress());
    try {
      if (same || kind === entryKind && kind !== "") history.replaceState({ kind: kind }, "", url);
      else history.pushState({ kind: kind }, "", url);
    } catch (e) { /* some browsers refuse history from disk: the page still works */ }
    entryKind = kind;
  }

  function toControls(state) {
    input.value = state.q;
    orderSelect.value = state.order;
    ensureOption(yearSelect, state.year, state.year);
    yearSelect.value = state.year;
    ensureOption(monthSelect, state.month, state.month ? MONTHS[Number(state.month) - 1] : "");
    monthSelect.value = state.month;
    showChoices();
  }

  // ---- The filters ----

  function option(value, text) {
    var node = document.createElement("option");
    node.value = value;
    node.textContent = text;
    return node;
  }

  function ensureOption(select, value, text) {
    if (!value) return;
    for (var i = 0; i < select.options.length; i++) if (select.options[i].value === value) return;
    select.appendChild(option(value, text));
  }

  // Replaces a select's options only when they change: a select the reader is
  // going through with the arrow keys keeps its place.
  function setOptions(select, entries, value) {
    var wanted = entries.map(function (e) { return e[0] + "\u0000" + e[1]; }).join("\u0001");
    if (select.getAttribute("data-options") !== wanted) {
      select.setAttribute("data-options", wanted);
      select.textContent = "";
      entries.forEach(function (e) { select.appendChild(option(e[0], e[1])); });
    }
    select.value = value;
  }

  function counted(text, count) {
    return count === undefined ? text : text + " (" + count + ")";
  }

  // years: {"2023": 4}; months: {"04": 1} for the chosen year.  Years newest first,
  // months in calendar order; a chosen value stays listed even when nothing matches.
  function showFilters(state, years, months) {
    var yearList = Object.keys(years).filter(function (y) { return years[y] > 0; });
    if (state.year && yearList.indexOf(state.year) < 0) yearList.push(state.year);
    yearList.sort().reverse();
    setOptions(yearSelect, [["", say("anyYear")]].concat(yearList.map(function (y) { return [y, counted(y, years[y] || 0)]; })), state.year);
    var monthList = Object.keys(months).filter(function (m) { return months[m] > 0; });
    if (state.month && monthList.indexOf(state.month) < 0) monthList.push(state.month);
    monthList.sort();
    setOptions(monthSelect, [["", say("anyMonth")]].concat(monthList.map(function (m) {
      return [m, counted(MONTHS[Number(m) - 1], months[m] || 0)];
    })), state.month);
    showChoices();
  }

  // The month is chosen within a year; the summary of the closed filters says
  // what is chosen, so that a narrow screen can keep them closed.
  function showChoices() {
    monthField.hidden = !yearSelect.value;
    var parts = [];
    if (yearSelect.value) parts.push(monthSelect.value ? monthAndYear(monthSelect.value, yearSelect.value) : yearSelect.value);
    if (orderSelect.value) parts.push(orderSelect.options[orderSelect.selectedIndex].textContent.toLocaleLowerCase(language));
    chosen.textContent = parts.length ? say("chosen", { choices: parts.join(", ") }) : "";
  }

  // ---- Showing results ----

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  // Text with the ranges [[start, end], …] marked; everything goes in as text.
  function marked(parent, text, ranges) {
    var at = 0;
    ranges.slice().sort(function (a, b) { return a[0] - b[0]; }).forEach(function (range) {
      var start = Math.max(range[0], at), end = Math.min(range[1], text.length);
      if (end <= start) return;
      parent.appendChild(document.createTextNode(text.slice(at, start)));
      parent.appendChild(element("mark", "", text.slice(start, end)));
      at = end;
    });
    parent.appendChild(document.createTextNode(text.slice(at)));
    return parent;
  }

  function result(item, highlight) {
    var li = element("li"), teaser = element("article", "teaser");
    if (item.language) teaser.lang = item.language;
    teaser.dir = item.direction || "auto";
    var heading = element("h2"), link = marked(element("a"), item.title, item.titleMarks);
    var words = item.words && item.words.length ? item.words : highlight;
    link.href = item.href + (words.length ? "?highlight=" + words.map(encodeURIComponent).join("+") : "");
    heading.appendChild(link);
    var byline = element("p", "byline"), time = element("time", "", item.dateText || item.date);
    time.dateTime = item.date;
    byline.appendChild(time);
    teaser.append(heading, byline, marked(element("p", "excerpt"), item.excerpt, item.excerptMarks));
    li.appendChild(teaser);
    return li;
  }

  function where(state) {
    if (!state.year) return "";
    return say("within", { when: state.month ? monthAndYear(state.month, state.year) : state.year });
  }

  function summary(state, total, approximate) {
    var values = { query: state.q.trim(), where: where(state), count: total };
    if (total === 0) return say("noMatch", values);
    return say(approximate ? "aboutMatches" : "matches", values, total);
  }

  // The words a result link asks the article to mark: the query's.
  function queryWords(query) {
    return (query.toLowerCase().match(/[\p{L}\p{N}\p{M}]+/gu) || []).slice(0, 10);
  }

  // ---- Pagefind (served) ----

  // The index is split in bundles, oldest first (pagefind/bundles.json): the first
  // is this one, the others are merged into it. With a date order, Pagefind scores
  // a result by its place in its own bundle, so each bundle weighs more than all
  // the places of the bundles before it (their records, multiplied).  The weights
  // are given when a bundle is merged: one Pagefind instance ranks by relevance,
  // another (weighted) by date, each made when first needed.  Past about 80
  // bundles of 5,000 articles the product would overflow a number: the bundles
  // are then taken in groups, oldest first, each an instance of its own whose
  // weights start again, and the groups' results are put one after the other.
  var WEIGHTS_UP_TO = window.__searchWeightsUpTo || 1e300;

  function groups(bundles, byDate) {
    var found = [], group = null, weight = 1;
    for (var i = 0; i < bundles.length; i++) {
      var path = new URL(bundles[i].path, bundle).pathname;
      if (!group || (byDate && weight * bundles[i].records > WEIGHTS_UP_TO)) {
        group = { path: path, others: [] };
        found.push(group);
        weight = 1;
      } else {
        var other = { path: path, options: { baseUrl: root.pathname } };
        if (byDate) other.options.indexWeight = weight;
        group.others.push(other);
      }
      weight *= bundles[i].records;
    }
    return found.length ? found : [{ path: bundle.pathname, others: [] }];
  }

  function bundleList(data) {
    var found = data && data.bundles;
    if (!Array.isArray(found)) return [];
    for (var i = 0; i < found.length; i++) {
      var item = found[i];
      if (!item || typeof item.path !== "string" || typeof item.records !== "number" || !(item.records >= 1)) return [];
    }
    return found;
  }

  // The groups' instances as one: each searched, their results one group after
  // the other (newest group first for newest first), their counts added up.
  function together(instances) {
    if (instances.length === 1) return instances[0];
    return {
      search: function (term, options) {
        return Promise.all(instances.map(function (one) { return one.search(term, options); })).then(function (all) {
          var ordered = options.sort && options.sort.date === "desc" ? all.slice().reverse() : all;
          var totals = {};
          all.forEach(function (found) {
            Object.keys(found.totalFilters || {}).forEach(function (name) {
              var counts = totals[name] || (totals[name] = {});
              Object.keys(found.totalFilters[name]).forEach(function (value) {
                counts[value] = (counts[value] || 0) + found.totalFilters[name][value];
              });
            });
          });
          return { results: [].concat.apply([], ordered.map(function (found) { return found.results; })), totalFilters: totals };
        });
      }
    };
  }

  var pagefindModule = null, instances = {};

  function pagefindFor(byDate) {
    var key = byDate ? "date" : "rank";
    if (!instances[key]) {
      if (!pagefindModule) {
        pagefindModule = Promise.all([
          import(bundle.href + "pagefind.js"),
          fetch(bundle.href + "bundles.json")
            .then(function (response) { return response.ok ? response.json() : null; })
            .then(bundleList, function () { return []; })
        ]);
      }
      instances[key] = pagefindModule.then(function (loaded) {
        // Groups are made one after the other: instances made at once interfere.
        var made = [];
        return groups(loaded[1], byDate).reduce(function (before, group) {
          return before.then(function () {
            var pagefind = loaded[0].createInstance({ basePath: group.path, baseUrl: root.pathname });
            made.push(pagefind);
            return Promise.all(group.others.map(function (other) {
              return pagefind.mergeIndex(other.path, other.options);
            }));
          });
        }, Promise.resolve()).then(function () { return together(made); });
      });
      instances[key].catch(function () { delete instances[key]; });
    }
    return instances[key];
  }

  // A combining mark with no letter before it leaves an empty word in Pagefind's
  // query once accents are folded, and an empty word matches every page (the
  // records that lead the bundles too): such marks are dropped.
  function withoutLoneMarks(term) {
    return term.replace(/(^|\s)\p{M}+/gu, "$1");
  }

  // Pagefind marks a word with the punctuation around it ("harbour,"): only the
  // stretch from its first to its last letter or digit is marked here.
  function wordIn(token) {
    var found = token.match(/[\p{L}\p{N}\p{M}](?:[\s\S]*[\p{L}\p{N}\p{M}])?/u);
    return found ? [found.index, found.index + found[0].length] : null;
  }

  // Pagefind's excerpt is HTML: its text escaped, the words found in <mark>.  It
  // is parsed in a document that runs nothing, and only its text and its marks
  // are kept, as text and offsets.
  function parseExcerpt(html) {
    var doc = new DOMParser().parseFromString("<body>" + html, "text/html");
    var text = "", marks = [];
    (function walk(node) {
      node.childNodes.forEach(function (child) {
        if (child.nodeType === Node.TEXT_NODE) text += child.data;
        else if (child.nodeName === "MARK") {
          var start = text.length, word = wordIn(child.textContent);
          text += child.textContent;
          if (word) marks.push([start + word[0], start + word[1]]);
        } else if (child.nodeType === Node.ELEMENT_NODE) walk(child);
      });
    })(doc.body);
    return { text: text, marks: marks };
  }

  // The words of the page that matched, by their places in its content, as
  // Pagefind counts them (split at white space); the title leads the content, so
  // places below its number of words are words of the title.
  function matchedWords(data) {
    var words = (data.raw_content || data.content || "").split(/[\r\n\s]+/g);
    var title = (data.meta && data.meta.title) || "";
    var titleWords = title.split(/[\r\n\s]+/g);
    var lengths = title.split(/([\r\n\s]+)/g);
    var places = data.locations || [];
    var titleMarks = [], found = {};
    places.forEach(function (place) {
      var word = (words[place] || "").toLowerCase().match(/[\p{L}\p{N}\p{M}]+/u);
      if (word) found[word[0]] = true;
      if (place < titleWords.length && title.trim()) {
        var start = 0;
        for (var i = 0; i < place * 2 && i < lengths.length; i++) start += lengths[i].length;
        var inner = wordIn(titleWords[place]);
        if (inner) titleMarks.push([start + inner[0], start + inner[1]]);
      }
    });
    return { titleMarks: titleMarks, words: Object.keys(found).slice(0, 10) };
  }

  function first(values) {
    return Array.isArray(values) && typeof values[0] === "string" ? values[0] : "";
  }

  // The date is in filters, which Pagefind returns but never searches (see article.html).
  function pagefindResult(data) {
    var meta = data.meta || {}, filters = data.filters || {};
    var date = first(filters.date), dateText = first(filters.date_text) || date;
    var excerpt = parseExcerpt(data.excerpt || "");
    var matched = matchedWords(data);
    // Folder addresses, as the site links to its articles.
    var href = data.url.replace(/index\.html$/, "");
    return {
      href: href, title: meta.title || href, date: date, dateText: dateText,
      titleMarks: matched.titleMarks, excerpt: excerpt.text, excerptMarks: excerpt.marks, words: matched.words
    };
  }

  // One answer for both engines: {total, years, months, results, more(count)}.
  function pagefindSearch(state, count) {
    var byDate = !!state.order;
    var term = withoutLoneMarks(state.q);
    return pagefindFor(byDate).then(function (pagefind) {
      // The counts of years and months come with a search once their filters
      // are loaded, which a filter on each does: "none of no value" where none
      // is chosen keeps every result.  Only these two are loaded, not the
      // filters of the dates the results show (half the filter files).
      var filters = {
        year: state.year || { none: [] },
        month: state.month ? state.year + "-" + state.month : { none: [] }
      };
      if (!term.trim()) return { total: 0, years: {}, months: {}, results: [], rest: [] };
      var search = { filters: filters };
      if (byDate) search.sort = { date: state.order };
      return pagefind.search(term, search).then(function (found) {
        // Counts with no filter of ours applied ("instead of" the chosen ones).
        var totals = found.totalFilters || {};
        var years = totals.year || {}, months = {};
        if (state.year) {
          Object.keys(totals.month || {}).forEach(function (key) {
            if (key.slice(0, 5) === state.year + "-") months[key.slice(5)] = totals.month[key];
          });
        }
        return { total: found.results.length, years: years, months: months, rest: found.results };
      });
    }).then(function (answer) {
      var words = queryWords(term).map(normalise);
      return genuineResults(answer.rest, words, count).then(function (checked) {
        answer.results = checked.kept.slice(0, count).map(pagefindResult);
        var dropped = answer.total !== checked.total;
        answer.total = checked.total;
        answer.approximate = checked.approximate;
        if (!dropped || !checked.complete) return answer;
        // Results were dropped: the counts of years and months are counted again
        // from the results kept, over all years (one more search when filtered).
        var all = state.year ? pagefindFor(byDate).then(function (pagefind) {
          return pagefind.search(term, byDate ? { sort: { date: state.order } } : {});
        }).then(function (found) {
          return genuineResults(found.results, words, CHECK_ALL);
        }) : Promise.resolve(checked);
        return all.then(function (every) {
          if (!every.complete) return answer;
          answer.years = {};
          answer.months = {};
          every.kept.forEach(function (data) {
            var month = first((data.filters || {}).month);
            if (!/^\d{4}-\d{2}$/.test(month)) return;
            answer.years[month.slice(0, 4)] = (answer.years[month.slice(0, 4)] || 0) + 1;
            if (month.slice(0, 4) === state.year) answer.months[month.slice(5)] = (answer.months[month.slice(5)] || 0) + 1;
          });
          return answer;
        });
      });
    });
  }

  // Where a bundle has no word that begins with a word of the query, Pagefind
  // searches instead the longest word of that bundle that begins it ("ashford"
  // finds every "a" of the bundles that lack Ashford).  Such results are
  // dropped: each word of the query must be matched by a word that shares its
  // start, all but a suffix of up to three letters that stemming may remove.
  // Every result is checked when there are few (their data is small and is
  // needed to show them); otherwise results are checked until the page is full
  // (at most 90 more than it shows), and the rest are estimated from a sample.
  var CHECK_ALL = 50;

  function normalise(text) {
    return text.normalize("NFKD").replace(/(?![\u3099\u309a])\p{Mn}/gu, "").normalize("NFC").toLowerCase();
  }

  function supported(word, matched) {
    if (/[\u1100-\u11ff\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]/u.test(word)) return true;
    var need = Math.min(word.length, Math.max(3, word.length - 3));
    return matched.some(function (m) {
      var same = 0;
      while (same < m.length && same < word.length && m[same] === word[same]) same++;
      return same >= need;
    });
  }

  function genuine(data, words) {
    var content = (data.content || "").split(/[\r\n\s]+/g);
    var matched = (data.locations || []).map(function (place) {
      return (normalise(content[place] || "").match(/[\p{L}\p{N}\p{M}]+/gu) || []).join("");
    });
    return words.every(function (word) { return supported(word, matched); });
  }

  function genuineResults(raw, words, count) {
    var kept = [], dropped = 0, checked = 0;
    var batch = raw.length <= CHECK_ALL ? raw.length : PAGE;
    var limit = raw.length <= CHECK_ALL ? raw.length : count + 90; // a few hundred kilobytes at most
    function load(results) {
      return Promise.all(results.map(function (r) { return r.data(); }));
    }
    // The results not checked are counted in the proportion found in a sample
    // of ten spread over them (by relevance, the dropped ones come last).
    function estimate() {
      var rest = raw.length - checked, sample = [];
      for (var i = 0; i < Math.min(10, rest); i++) sample.push(raw[checked + Math.floor(i * rest / Math.min(10, rest))]);
      return load(sample).then(function (datas) {
        var good = datas.filter(function (data) { return genuine(data, words); }).length;
        return {
          kept: kept, total: kept.length + Math.round(rest * good / sample.length),
          approximate: dropped > 0 || good < sample.length, complete: false
        };
      });
    }
    function next() {
      if (checked >= raw.length) return Promise.resolve({ kept: kept, total: kept.length, approximate: false, complete: true });
      if (kept.length >= count || checked >= limit) return estimate();
      var slice = raw.slice(checked, checked + Math.max(batch, Math.min(count - kept.length, limit - checked)));
      checked += slice.length;
      return load(slice).then(function (datas) {
        datas.forEach(function (data) {
          if (genuine(data, words)) kept.push(data);
          else dropped++;
        });
        return next();
      });
    }
    return next();
  }

  // ---- The offline index (from disk, or served where the site says so) ----

  // The offline engine is loaded only when it answers: a page that asks
  // Pagefind never needs it.
  var offlineEngine = null;

  function loadOfflineEngine() {
    if (!offlineEngine) {
      offlineEngine = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = new URL(box.getAttribute("data-offline-script"), location.href).href;
        script.onload = function () { resolve(window.__offlineSearch); };
        script.onerror = function () { offlineEngine = null; reject(new Error("no offline index")); };
        document.head.appendChild(script);
      });
    }
    return offlineEngine;
  }

  function offlineSearch(state, count) {
    return loadOfflineEngine().then(function () { return offlineAnswer(state, count); });
  }

  function offlineAnswer(state, count) {
    var engine = window.__offlineSearch;
    if (!engine || typeof engine.search !== "function") return Promise.reject(new Error("no offline index"));
    return engine.search(state.q, { year: state.year, month: state.month, order: state.order, count: count })
      .then(function (found) {
        found.results = found.results.map(function (r) {
          // The words to mark on the article: those marked here (stemming finds
          // "strike" for "strikes"), and the query's.
          var marked = {};
          [[r.title, r.titleMarks], [r.excerpt, r.excerptMarks]].forEach(function (pair) {
            (pair[1] || []).forEach(function (range) { marked[pair[0].slice(range[0], range[1]).toLowerCase()] = true; });
          });
          queryWords(state.q).forEach(function (word) { marked[word] = true; });
          return {
            words: Object.keys(marked).slice(0, 10),
            // From disk a folder does not open its index.html; served, the article's address is its folder.
            href: root.href + r.url + (fromDisk ? "index.html" : ""),
            title: r.title, date: r.date, dateText: r.dateText, language: r.language, direction: r.direction,
            titleMarks: r.titleMarks || [], excerpt: r.excerpt || "", excerptMarks: r.excerptMarks || []
          };
        });
        return found;
      });
  }

  // ---- Searching ----

  var current = 0, shown = 0, shownState = null;

  function show(state, count) {
    var asked = ++current;
    if (!state.q.trim()) {
      status.textContent = "";
      list.textContent = "";
      more.hidden = true;
      shown = 0;
      showFilters(state, {}, {});
      return Promise.resolve();
    }
    var run = offline ? offlineSearch : pagefindSearch;
    box.setAttribute("aria-busy", "true");
    return run(state, count).then(function (found) {
      if (asked !== current) return; // a newer search has started
      box.removeAttribute("aria-busy");
      showFilters(state, found.years || {}, found.months || {});
      var highlight = queryWords(state.q);
      list.textContent = "";
      found.results.forEach(function (item) { list.appendChild(result(item, highlight)); });
      shown = found.results.length;
      shownState = state;
      more.hidden = shown >= found.total;
      var text = summary(state, found.total, found.approximate);
      // The same words again are not read out again: a live region speaks changes.
      if (status.textContent !== text) status.textContent = text;
    }).catch(function (error) {
      if (asked !== current) return;
      console.warn("search failed:", error);
      box.removeAttribute("aria-busy");
      status.textContent = say("failed");
    });
  }

  function search(count) {
    return show(fromControls(), count || PAGE);
  }

  var timer = 0;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      record("typing");
      search();
    }, 150);
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    clearTimeout(timer);
    record("");
    search();
  });
  yearSelect.addEventListener("change", function () {
    monthSelect.value = ""; // the months listed were the other year's
    showChoices();
    record(yearSelect.id);
    search();
  });
  [monthSelect, orderSelect].forEach(function (select) {
    select.addEventListener("change", function () {
      showChoices();
      record(select.id);
      search(Math.max(PAGE, shown));
    });
  });
  more.addEventListener("click", function () {
    var before = shown;
    show(shownState || fromControls(), shown + PAGE).then(function () {
      // The first new result takes the focus, so that reading goes on from there.
      var next = list.children[before];
      var link = next && next.querySelector("a");
      if (link) link.focus();
    });
  });
  window.addEventListener("popstate", function (event) {
    entryKind = (event.state && event.state.kind) || "";
    var state = fromAddress();
    toControls(state);
    show(state, PAGE);
  });

  // Wide screens show the filters; a phone keeps them closed under their summary.
  if (window.matchMedia("(min-width: 40rem)").matches) options.open = true;
  var opened = fromAddress();
  // A page opened with no search has nothing to go back to: typing replaces it.
  entryKind = opened.q ? "" : "typing";
  try { history.replaceState({ kind: entryKind }, "", location.href); } catch (e) { /* as in record() */ }
  if (offline) loadOfflineEngine().catch(function () { /* said when a search fails */ });
  toControls(opened);
  if (opened.q) show(opened, PAGE);
  else input.focus();
})();
