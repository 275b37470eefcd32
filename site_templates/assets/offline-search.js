// Search from disk: the engine only; the search page (search.js) drives it.
// A page opened over file:// may not load Pagefind (modules, WebAssembly) nor
// fetch JSON, but it may run classic scripts: the build writes an index of such
// scripts (broadsheet/offline_index.py describes the format), and this file
// loads only the ones a query needs and ranks the articles they name.
//
//   __offlineSearch.search(query, {year, month, order, count})
//     -> Promise<{total, years, months, results: [{url, title, date, dateText,
//                 language, direction, titleMarks, excerpt, excerptMarks}]}>
//
// The index is found beside the site's assets: ROOT/assets/offline-search.js
// reads ROOT/search/offline/.  A page may set __offlineSearch.base (a URL
// ending in "/") before its first search to read it elsewhere.
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
  // A shorter stem matches itself alone, not the terms it begins: "re" or "st"
  // would ask for a long run of chunks, and is meant as no word of them.
  var PREFIX_FROM = 3;
  function extended(term) {
    return Array.from(term).length >= PREFIX_FROM;
  }
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

  // The site's Snowball stemmer (assets/snowball/NAME.js), once loaded; words
  // are stemmed once normalised, as the build stems them.
  var stemmer = null, stems = new Map();
  function stem(word) {
    if (!stemmer || CJK_CHAR.test(word)) return word;
    var found = stems.get(word);
    if (found === undefined) {
      stemmer.setCurrent(word);
      stemmer.stem();
      found = stemmer.getCurrent();
      stems.set(word, found);
    }
    return found;
  }

  function cut(term) {
    return term.length > MAX_TERM ? Array.from(term).slice(0, MAX_TERM).join("") : term;
  }

  // A query's terms.  A word matches the terms that begin with its stem, as
  // Pagefind's words do ("elect" finds "election"), and so does the word being
  // typed, where the stem has PREFIX_FROM letters or more.  Han, kana and
  // Hangul are indexed as pairs of characters: a longer run asks for its
  // pairs, a single character for the pairs it starts (while it is typed, or
  // alone).
  function queryTerms(query) {
    var runs = words(query), seen = {}, found = [];
    function add(term, prefix) {
      var key = (prefix ? "*" : "=") + term;
      if (seen[key]) return;
      seen[key] = true;
      found.push({ term: term, prefix: prefix });
    }
    runs.forEach(function (run, i) {
      var letters = Array.from(run);
      if (CJK_CHAR.test(run)) {
        if (letters.length === 1) add(run, true);
        for (var j = 0; j + 1 < letters.length; j++) add(letters[j] + letters[j + 1], false);
      } else {
        var term = cut(stem(run));
        add(term, extended(term));
      }
    });
    return found;
  }

  // ---- Loading the index's scripts, each once ----

  var received = {}, pending = {}, loaded = [];
  var script = document.currentScript;
  var own = script && script.src ? script.src : "";
  var api = window.__offlineSearch = {
    index: function (packed) { received.index = packed; },
    terms: function (chunk, terms) { received["terms:" + chunk] = terms; },
    docs: function (shard, first, packed) { received["docs:" + shard + first] = packed; },
    loaded: loaded, // the files loaded so far, in order: read by the tests and the benchmark
    // A query of several words reads the postings of its split words in every
    // shard where each word is, and so counts its results exactly, unless
    // that is more bytes than this; then it reads them as a word alone does
    // (rankLazily), and may say "about" (the tests set it lower).
    exactBytes: 96 * 1024,
    // Where the index is: this script's ROOT/assets/offline-search.js gives ROOT/search/offline/.
    base: own.replace(/assets\/[^\/]*$/, "search/offline/"),
    assets: own.replace(/[^\/]*$/, "") // this script's folder, with the stemmers in snowball/
  };

  // Served, the index's files are asked for at addresses that carry a version:
  // the list's is the time (it is read afresh at each visit of the page), a
  // chunk's is its set's or its shard's, from the list; so a browser or a CDN
  // that keeps files a while never gives an old chunk with a new list.  From
  // disk there is nothing to keep apart, and a file's address takes no query.
  var served = location.protocol === "http:" || location.protocol === "https:";

  function load(path, name, folder, version) {
    if (!pending[name]) {
      pending[name] = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = (folder === undefined ? api.base : folder) + path +
          (served && version ? "?v=" + encodeURIComponent(version) : "");
        script.onload = function () {
          if (folder !== undefined) resolve(window.__snowball);
          else if (name in received) resolve(received[name]);
          else reject(new Error(path + " did not register"));
        };
        script.onerror = function () { reject(new Error("cannot load " + path)); };
        if (folder === undefined) loaded.push(path);
        document.head.appendChild(script);
      });
    }
    return pending[name];
  }

  // The list of shards, newest first, each with its place in the site, and the
  // keys of the chunks of terms.
  function index() {
    return load("index.js", "index", undefined, String(Date.now())).then(function (packed) {
      return unpack("index", packed);
    }).then(function (found) {
      found.sets.forEach(function (set) { set.last = found.shards.length - 1; });
      return found;
    });
  }

  // The site's stemmer, named by the list: the shared code, then the language's.
  function loadStemmer() {
    return index().then(function (found) {
      var name = found.stemmer;
      if (!name || stemmer) return;
      return load("snowball/base.js", "snowball", api.assets).then(function () {
        return load("snowball/" + name + ".js", "snowball:" + name, api.assets);
      }).then(function () {
        var Stemmer = window.__snowball.algorithms[name];
        if (!stemmer) stemmer = new Stemmer();
      }, function () {
        // A theme without the stemmers: words unstemmed still find the terms
        // that begin with them, most of what the stems would find.
      });
    });
  }

  // ---- Postings and ranking ----

  // The chunk of a term: the last key at or before it (keys sort as terms do).
  function chunkOf(keys, term) {
    var low = 0, high = keys.length - 1;
    while (low < high) {
      var middle = (low + high + 1) >> 1;
      if (keys[middle] <= term) low = middle; else high = middle - 1;
    }
    return low;
  }

  // A chunk's file, named by its key, as the build names it (chunk_path in
  // offline_index.py): "k" and the key's UTF-16 code units in four hex digits
  // each, so that a chunk made again where its terms changed leaves the names
  // of the others as they were.  A key longer than NAME_UNITS is cut, and the
  // number of the keys just before it cut to the same beginning added.
  var NAME_UNITS = 48;
  function chunkName(keys, n) {
    var key = keys[n], head = key.slice(0, NAME_UNITS), name = "k", run = 0;
    for (var i = 0; i < head.length; i++) name += ("000" + head.charCodeAt(i).toString(16)).slice(-4);
    if (key.length <= NAME_UNITS) return name;
    while (run < n && keys[n - run - 1].length > NAME_UNITS && keys[n - run - 1].slice(0, NAME_UNITS) === head) run++;
    return name + "-" + run;
  }

  // The chunks that may hold a query's terms, in each set of chunks (the older
  // shards', the newest shard's, and the newest day's when it is apart): the
  // term's own, and the ones after it whose keys begin with it; each
  // {set, terms: {term: [shard, postings, ...] or a split term (see postingsOf)}}.
  // With `firstOnly` (a word alone, for its first results by relevance), a
  // set whose chunk of the word holds it split and "whole" (its first
  // documents are those of every shard that has a term it begins, and none of
  // those shards is of two years) is read in that chunk alone, not in the
  // chunks of the rarer terms that begin with it.
  function chunksFor(found, query, firstOnly) {
    return Promise.all(found.sets.map(function (set) {
      var keys = set.keys, n = chunkOf(keys, query.term), rest = [];
      for (var m = n + 1; query.prefix && m < keys.length && keys[m].indexOf(query.term) === 0; m++) rest.push(m);
      function read(numbers) {
        return Promise.all(numbers.map(function (k) {
          return termsFile(set, set.folder + chunkName(keys, k)).then(function (terms) { return { set: set, terms: terms }; });
        }));
      }
      if (!firstOnly || !rest.length) return read([n].concat(rest));
      return read([n]).then(function (first) {
        var value = first[0].terms[query.term];
        if (value && value.whole && shardsOf(value).every(function (s) { return ofOneYear(found.shards[s]); })) return first;
        return read(rest).then(function (more) { return first.concat(more); });
      });
    })).then(function (lists) { return [].concat.apply([], lists); });
  }

  // A file of terms of `set`: JSON as it is, or packed (the chunk of a word in most articles).
  var termFiles = {};
  function termsFile(set, path) {
    var name = "terms:" + path;
    return termFiles[name] || (termFiles[name] = load(path + ".js", name, undefined, set.version).then(function (terms) {
      return typeof terms === "string" ? unpack(name, terms) : terms;
    }).then(function (terms) { return placesOfShards(terms, set.last); }));
  }

  // The files of terms name each shard by its number, its place counted from
  // the oldest (shard_numbers in offline_index.py), which a newer shard leaves
  // as it was; the list is newest first.  Turns each number of `terms` (a
  // chunk, or a split term's file: [shard, postings, ...]) into the shard's
  // place in the list, `last` minus the number, once as it is read.
  function placesOfShards(terms, last) {
    function turn(list, step) {
      for (var i = 0; list && i < list.length; i += step) list[i] = last - list[i];
    }
    function turnEach(lists) {
      Object.keys(lists || {}).forEach(function (word) { turn(lists[word], 3); });
    }
    if (Array.isArray(terms)) turn(terms, 2);
    else Object.keys(terms).forEach(function (term) {
      var value = terms[term];
      if (Array.isArray(value)) return turn(value, 2);
      turn(value.shards, 2); // [shard, place in files, ...]
      turn(value.first, 3); // [shard, document, score, ...]
      turnEach(value.beginnings); // {word: [shard, family's best, documents, ...]}
      turnEach(value.firsts); // {word: [shard, document, score, ...]}
    });
    return terms;
  }

  // Calls visit(term, found, set, weight) for each term of the chunks that the
  // query's word matches: the word itself, and with a prefix the longer terms
  // that begin with it, which count for less.
  // In term order, as the build adds them up for a word's first documents
  // (family_bests in offline_index.py): sums of the same terms in another
  // order may differ in their last bits.
  function eachTerm(chunks, query, visit) {
    var found = [];
    chunks.forEach(function (chunk) {
      Object.keys(chunk.terms).forEach(function (term) {
        if (term === query.term || (query.prefix && term.indexOf(query.term) === 0)) found.push([term, chunk]);
      });
    });
    found.sort(function (a, b) { return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0; });
    found.forEach(function (pair) {
      var term = pair[0], whole = term === query.term;
      visit(term, pair[1].terms[term], pair[1].set, whole ? 1 : lengthBonus(term.length - query.term.length));
    });
  }

  // The shards that have a term: of [shard, postings, ...], or of a split
  // term's {files: [[number, bytes], ...], shards: [shard, place in files, ...]}.
  function shardsOf(found) {
    var list = Array.isArray(found) ? found : found.shards, shards = [];
    for (var i = 0; i < list.length; i += 2) shards.push(list[i]);
    return shards;
  }

  // A term's [shard, postings, ...] for the shards `needed` ({shard: true})
  // at least.  A split term's are read from its parts that hold those shards,
  // or from its whole file where that is fewer bytes or the parts are many.
  var MOST_PARTS = 16; // a part is a shard or two of a word in every article
  function postingsOf(found, set, needed) {
    if (Array.isArray(found)) return Promise.resolve(found);
    return Promise.all(placesOf(found, needed).map(function (place) {
      return termsFile(set, splitFile(set, found, place));
    })).then(function (lists) { return [].concat.apply([], lists); });
  }

  // The path of the file `place` of a split term (0 its whole, then its parts).
  function splitFile(set, found, place) {
    return set.folder + "s" + found.files[place][0];
  }

  // The places in a split term's files of those postingsOf reads.
  function placesOf(found, needed) {
    var parts = {}, count = 0, bytes = 0;
    for (var i = 0; i < found.shards.length; i += 2) {
      var place = found.shards[i + 1];
      if (needed[found.shards[i]] && !parts[place]) {
        parts[place] = true;
        count += 1;
        bytes += found.files[place][1];
      }
    }
    return !count ? [] : wholePays(found, count, bytes) ? ["0"] : Object.keys(parts);
  }

  // Whether a split term is read whole rather than in `count` parts of `bytes`.
  function wholePays(found, count, bytes) {
    return count > MOST_PARTS || bytes >= found.files[0][1];
  }

  // Calls visit(document, score) for each posting of "TOP LEVELS:DOCUMENTS":
  // the score is (level + 1) / 64 of the term's top, a share of the shard's
  // best; after a "!", levels are two characters, in 4096ths of the top.
  function decode(postings, visit) {
    var wide = postings.charAt(0) === "!", n = wide ? 1 : 0, colon = postings.indexOf(":"), i;
    var unit = (VALUE[postings.charCodeAt(n)] * 64 + VALUE[postings.charCodeAt(n + 1)]) / 4095 / (wide ? 4096 : 64);
    n += 2;
    function level() {
      var value = VALUE[postings.charCodeAt(n++)];
      return wide ? value * 64 + VALUE[postings.charCodeAt(n++)] : value;
    }
    if (postings.charAt(colon + 1) === "*") { // a bitmap, six documents a character
      for (i = colon + 2; i < postings.length; i++) {
        var bits = VALUE[postings.charCodeAt(i)];
        for (var b = 0; b < 6; b++) {
          if (bits & (1 << b)) visit((i - colon - 2) * 6 + b, (level() + 1) * unit);
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
        visit(doc, (level() + 1) * unit);
        gap = 0;
      }
    }
  }

  // What a term that begins with a query's word, `extra` characters longer,
  // counts for against the word itself: Pagefind's bonus for the length of a
  // word (a bell curve of the difference, at its default term similarity of 1).
  function lengthBonus(extra) {
    return Math.exp(Math.exp(-0.125 * (extra + 1) * (extra + 1))) / Math.exp(Math.exp(-0.125));
  }

  // Each document's score for one query term, by shard (an array of the
  // shard's documents, or none where no document has it); 0 where it is missing.
  // The terms a word matches add up, as Pagefind's do: each with its own
  // rarity, from `terms`, [weight, [shard, postings, ...]] each.
  function scoresFor(shards, terms) {
    var scores = [];
    terms.forEach(function (term) {
      var weight = term[0], found = term[1];
      for (var i = 0; i < found.length; i += 2) {
        var s = found[i], list = scores[s] || (scores[s] = new Float64Array(shards[s].documents));
        decode(found[i + 1], function (doc, score) {
          list[doc] += score * weight;
        });
      }
    });
    return scores;
  }

  // Each query word's terms, [weight, [shard, postings, ...]] each, for the
  // shards that have every word (the others hold no result): read after the
  // chunks, which say where each term is, so that a word in most articles is
  // read for those shards only where its postings are split.
  function termsOfQuery(found, queries, chunkLists) {
    var needed = neededShards(queries, chunkLists);
    return Promise.all(chunkLists.map(function (chunks, k) {
      var terms = [];
      eachTerm(chunks, queries[k], function (term, value, set, weight) {
        terms.push(postingsOf(value, set, needed).then(function (list) { return [weight, list]; }));
      });
      return Promise.all(terms);
    }));
  }

  // The chunks of each word of a query (see chunksFor).
  function chunksOfQuery(found, queries) {
    return Promise.all(queries.map(function (q) { return chunksFor(found, q); }));
  }

  // The shards where every word of a query has a term: {shard: true}.
  function neededShards(queries, chunkLists) {
    var needed = null;
    chunkLists.forEach(function (chunks, k) {
      var mine = {};
      eachTerm(chunks, queries[k], function (term, value) {
        shardsOf(value).forEach(function (shard) { if (!needed || needed[shard]) mine[shard] = true; });
      });
      needed = mine;
    });
    return needed;
  }

  // The bytes of split terms' files that reading every shard where each
  // word of a query has a term would read (termsOfQuery).
  function splitBytes(queries, chunkLists) {
    var needed = neededShards(queries, chunkLists), bytes = 0;
    chunkLists.forEach(function (chunks, k) {
      eachTerm(chunks, queries[k], function (term, value) {
        if (!Array.isArray(value)) placesOf(value, needed).forEach(function (place) { bytes += value.files[place][1]; });
      });
    });
    return bytes;
  }

  // The month ("2023-04") of each of a shard's documents: the list gives the
  // first document of each month, as documents are numbered newest first.
  function monthOf(shard, doc) {
    var months = shard.months, low = 0, high = months.length - 1;
    while (low < high) { // the last month whose first document is at most doc
      var middle = (low + high + 1) >> 1;
      if (months[middle][1] <= doc) low = middle; else high = middle - 1;
    }
    return months[low][0];
  }

  // The documents that hold every term, numbered in the whole site, with their
  // scores on the scale of every shard and their month.
  function rank(found, queries, chunkLists) {
    return (chunkLists ? Promise.resolve(chunkLists) : chunksOfQuery(found, queries)).then(function (lists) {
      return termsOfQuery(found, queries, lists);
    }).then(function (perWord) {
      var lists = perWord.map(function (terms) { return scoresFor(found.shards, terms); });
      var hits = [];
      found.shards.forEach(function (shard, s) {
        addHits(found, s, lists.map(function (list) { return list[s]; }), hits);
      });
      return hits;
    });
  }

  // Adds to `hits` the documents of shard `s` that have a score in each of
  // `mine` (one array of the shard's scores for each word of the query).
  function addHits(found, s, mine, hits) {
    var shard = found.shards[s];
    if (!mine.length || mine.some(function (list) { return !list; })) return;
    for (var doc = 0; doc < shard.documents; doc++) {
      var total = 0;
      for (var t = 0; t < mine.length && total >= 0; t++) total = mine[t][doc] ? total + mine[t][doc] : -1;
      if (total > 0) {
        hits.push({ doc: shard.first + doc, local: doc, shard: shard, perChunk: found.perChunk, score: total * shard.scale,
          month: monthOf(shard, doc) });
      }
    }
  }

  // ---- A word in most articles, alone or with others ----

  // A query of one word that matches a split term (a word in most articles),
  // with no year chosen, reads that term's postings a few shards at a time,
  // in the order that can change the first `count` results: by relevance,
  // the shards of the highest bound (the split terms' tops there, and the
  // best document of the rarer terms: no document of the shard scores more);
  // by date, the newest or the oldest.  It stops once no
  // shard left unread could put a document among those results, and counts
  // the documents of the shards left from the split terms' counts (exact
  // where one term has documents in the shard; else estimated, and the
  // answer is "about").  Results stay complete: asked for more, it reads more.
  // A query of several words whose split terms would be more than
  // api.exactBytes to read in every shard where each word is (a common word
  // with a rarer one that is in most shards) is read the same way, with a
  // bound for each shard from the rarer words' documents there (see unread).
  var PARTS_AT_ONCE = 4;
  var FAMILY_SLACK = 1.002; // offline_index.py's
  var FIRST = 30; // offline_index.py's: the first documents listed of a word in most articles

  // The shards whose months are of more than one year: their documents are
  // counted by year only once read.
  function ofOneYear(shard) {
    var months = shard.months;
    return months[0][0].slice(0, 4) === months[months.length - 1][0].slice(0, 4);
  }

  function isSplit(found, query, firstOnly) {
    return chunksFor(found, query, firstOnly).then(function (chunks) {
      var split = false;
      eachTerm(chunks, query, function (term, value) { split = split || !Array.isArray(value); });
      return split ? chunks : null;
    });
  }

  // {hits, total, years, approximate}: the hits of the shards read, which
  // hold the first `count` results in `order`, and the counts of all.
  function rankLazily(found, queries, chunkLists, count, order) {
    var terms = [], bound = [], familyCount = [], read = {}, hits = [], firsts = [];
    var alone = queries.length === 1, heldBy = queries.map(function () { return {}; });
    // Each word's family's best in each shard, where the list gives it: no
    // document there scores more for the word (see unread).
    var caps = queries.map(function () { return {}; });
    queries.forEach(function (query, word) { eachTerm(chunkLists[word], query, function (term, value, set, weight) {
      // Each term: its word, its weight, its postings by shard so far, its
      // shards (and the place of each in its list), and for a split term its list and the parts read.
      var t = { word: word, weight: weight, postings: {}, shards: [], at: {}, split: Array.isArray(value) ? null : value,
        set: set, parts: {}, bytes: 0, fetched: 0 };
      var list = Array.isArray(value) ? value : value.shards;
      // A word that is only the beginning of split terms (or is not split)
      // has its family's best in the first split term it begins.
      var beginning = query.prefix && t.split && t.split.beginnings ? t.split.beginnings[query.term] : null;
      for (var k = 0; beginning && k < beginning.length; k += 3) {
        caps[word][beginning[k]] = beginning[k + 1];
        if (alone) familyCount[beginning[k]] = beginning[k + 2];
      }
      // The word's own family: its terms as the query asks for them (a word
      // shorter than PREFIX_FROM is its own family, whole, and a single Han
      // character, a beginning, has none of its own).
      var own = term === query.term && query.prefix === extended(term);
      // And its first documents in the shards whose family's best is known.
      if (alone && beginning) firsts.push(t.split.firsts[query.term]);
      else if (alone && own && t.split && t.split.first) firsts.push(t.split.first);
      for (var i = 0; i < list.length; i += 2) {
        var s = list[i];
        if (t.split) {
          bound[s] = (bound[s] || 0) + t.split.tops[i / 2] / 4095 * weight;
          // The word's own list may give its family's best in the shard: the
          // best a document there scores for the word and the terms it begins.
          // And the documents that hold the word or a term it begins there.
          var best = own && t.split.family ? t.split.family[i / 2] : -1;
          if (best >= 0) caps[word][s] = best;
          if (alone && own && t.split.familyCounts && t.split.familyCounts[i / 2] >= 0) familyCount[s] = t.split.familyCounts[i / 2];
        } else t.postings[s] = list[i + 1];
        t.at[s] = t.shards.length;
        t.shards.push(s);
        heldBy[word][s] = true;
      }
      terms.push(t);
    }); });
    var family = caps[0]; // of a word alone
    // The shards where every word has a term: the others hold no result.
    var candidates = Object.keys(heldBy[0]).map(Number).filter(function (s) {
      return heldBy.every(function (held) { return held[s]; });
    }), least = [];
    // The most a document of each shard can score: its family's best where
    // the list gives it; else its best of the terms read whole (the rarer)
    // and the tops of the split terms, which no document may reach.  And the
    // least that its best document scores: the family's best (rounded up, by
    // less than FAMILY_SLACK times), else the best of the rarer terms or of a split
    // term's top, as its levels read it back (a level is at most half of one
    // of 64 below, and the top is rounded up).
    var known = []; // several words: the scores of the documents of every shard for the terms read
    candidates.forEach(function (s) {
      var scale = found.shards[s].scale;
      if (!alone) {
        var shard = unread(s);
        bound[s] = shard.bound;
        known.push.apply(known, shard.known);
        // And, where every word is in most of the shard's articles, its best
        // article for one word likely holds the others: it scores that at least.
        var likelyBest = 0;
        queries.forEach(function (query, word) {
          if (caps[word][s] !== undefined) likelyBest = Math.max(likelyBest, caps[word][s] / FAMILY_SLACK * scale);
        });
        if (likelyBest > 0 && shard.documents >= found.shards[s].documents / 2) known.push(likelyBest);
        return;
      }
      if (family[s] !== undefined) {
        bound[s] = family[s] * scale;
        least.push(family[s] / FAMILY_SLACK * scale);
        return;
      }
      var scores = scoresFor(found.shards, terms.filter(function (t) { return !t.split && t.postings[s] !== undefined; })
        .map(function (t) { return [t.weight, [s, t.postings[s]]]; }))[s], best = 0;
      for (var doc = 0; scores && doc < scores.length; doc++) best = Math.max(best, scores[doc]);
      bound[s] = ((bound[s] || 0) + best) * scale;
      terms.forEach(function (t) {
        var at = t.split ? t.at[s] : undefined;
        if (at !== undefined) best = Math.max(best, (t.split.tops[at] * 127 / 128 - 1) / 4095 * t.weight);
      });
      least.push(best * scale);
    });
    // Several words, by relevance: no result scores less than the `count`th
    // of those, most likely, and the shards whose bound is below it hold none
    // of the first results.  Not a rule (a document may lack a word whose terms
    // are not read), but a guess of how much is to be read: a split term
    // whose parts in the others are more bytes than its whole is read whole
    // at once (see step).  The results of the shards read first (the newest
    // shard's, whose terms are not split) may be far below it, and would have
    // every shard read.
    known.sort(function (a, b) { return b - a; });
    var likely = order === "" && known.length >= count ? known[count - 1] : -Infinity;
    // By relevance, a shard whose bound is below the `count`th of those
    // leasts holds none of the first results, however many it has, whatever
    // else is read: each of `count` other shards has a document that scores more.
    least.sort(function (a, b) { return b - a; });
    var floor = order === "" && least.length >= count ? least[count - 1] * (1 - 1e-9) : -Infinity;
    // By relevance, the first documents listed are the first results of the
    // shards whose family's best is known: those shards are not read (but
    // for a count of years), and the others only where they can score more.
    var listed = {};
    if (order === "" && count <= FIRST && firsts.length) {
      candidates.forEach(function (s) { if (family[s] !== undefined) listed[s] = true; });
      firsts.forEach(function (first) {
        for (var i = 0; i < first.length; i += 3) {
          var shard = found.shards[first[i]], local = first[i + 1];
          hits.push({ doc: shard.first + local, local: local, shard: shard, perChunk: found.perChunk,
            score: first[i + 2], month: monthOf(shard, local), listed: true });
        }
      });
    }

    function ready(s) {
      return terms.every(function (t) { return !t.split || t.at[s] === undefined || t.postings[s] !== undefined; });
    }
    // Each word's scores in shard s, from the terms read there: one array of
    // the shard's documents each (or none where no term read has one).
    function wordScores(s) {
      return queries.map(function (query, word) {
        return scoresFor(found.shards, terms.filter(function (t) { return t.word === word && t.postings[s] !== undefined; })
          .map(function (t) { return [t.weight, [s, t.postings[s]]]; }))[s];
      });
    }
    // Of a shard not read, where the query has several words: the most a
    // document scores (bound) and how many documents hold every word
    // (estimated).  A word whose terms there are all read scores as it does;
    // a word with split terms not read scores at most its terms read plus
    // their tops there (no document scores more for a term), and no more than
    // its family's best there, and a document none of its terms read names
    // holds one of them as if the terms were independent, each in its share
    // of the shard's documents.  The family's best is what keeps the bound
    // of a word in every article close ("of" in "state of": its top there,
    // where the tops of "state" and the terms it begins add up to far more
    // than any document scores).
    function unread(s) {
      var shard = found.shards[s], size = shard.documents, scores = wordScores(s);
      var words = queries.map(function (query, word) {
        var top = 0, none = 1;
        terms.forEach(function (t) {
          var at = t.at[s];
          if (t.word !== word || at === undefined || t.postings[s] !== undefined) return;
          top += t.split.tops[at] / 4095 * t.weight;
          none *= 1 - t.split.counts[at] / size;
        });
        var cap = caps[word][s];
        return { scores: scores[word], top: top, share: 1 - none, cap: cap === undefined ? Infinity : cap };
      });
      var best = 0, documents = 0, known = [];
      for (var doc = 0; doc < size; doc++) {
        var most = 0, sure = 0, chance = 1;
        for (var k = 0; k < words.length && chance > 0; k++) {
          var w = words[k], score = w.scores ? w.scores[doc] : 0;
          sure += score;
          if (score) most += Math.min(score + w.top, w.cap);
          else if (w.top) { most += Math.min(w.top, w.cap); chance *= w.share; }
          else chance = 0;
        }
        if (chance > 0) {
          best = Math.max(best, most);
          documents += chance;
          if (sure > 0) known.push(sure * shard.scale);
        }
      }
      return { bound: best * shard.scale, documents: documents, known: known };
    }
    function first(a, b) {
      if (order === "desc") return a - b;
      if (order === "asc") return b - a;
      return bound[b] - bound[a] || a - b;
    }
    // Whether an unread shard could hold a document among the first `count`.
    function matters(s) {
      if (!ofOneYear(found.shards[s])) return true;
      if (listed[s]) return false;
      if (bound[s] < floor) return false;
      if (hits.length < count) return true;
      var last = hits[count - 1], shard = found.shards[s];
      if (order === "desc") return shard.first < last.doc;
      if (order === "asc") return shard.first + shard.documents - 1 > last.doc;
      var beyond = bound[s] - last.score, slack = 1e-9 * last.score;
      return beyond > slack || (beyond > -slack && shard.first < last.doc);
    }
    function take() {
      candidates.filter(function (s) { return !read[s] && ready(s); }).forEach(function (s) {
        read[s] = true;
        if (listed[s]) hits = hits.filter(function (hit) { return !hit.listed || hit.shard !== found.shards[s]; });
        addHits(found, s, wordScores(s), hits);
      });
      ordered(hits, order);
    }
    // Whether the file `place` of the split term t was read by an earlier query (the
    // first results, before More results): it costs nothing, and is not counted.
    function had(t, place) {
      return ("terms:" + splitFile(t.set, t.split, place)) in received;
    }
    // The parts of term t that hold the shards `next` and are not read yet: {place: true}.
    function partsOf(t, next) {
      var parts = {};
      next.forEach(function (s) {
        var at = t.at[s];
        if (at !== undefined && t.postings[s] === undefined) parts[t.split.shards[2 * at + 1]] = true;
      });
      return parts;
    }
    // By date, the first of `shards` (in the order asked) that likely hold
    // the results still wanted between them (see unread), with those so far
    // that come before them: the results so far may be the newest shard's,
    // read first, which oldest first puts last, and would have every older
    // shard matter.
    function leading(shards) {
      var head = found.shards[shards[0]], taken = [];
      var expected = hits.filter(function (hit) {
        return order === "desc" ? hit.doc < head.first : hit.doc >= head.first + head.documents;
      }).length;
      shards.some(function (s) {
        taken.push(s);
        expected += unread(s).documents;
        return expected >= count;
      });
      return taken;
    }
    // Loads the parts that hold the next shards that matter, PARTS_AT_ONCE at
    // most; or a term's whole, once its parts read and still to read would be
    // more bytes or more than MOST_PARTS (known once the first results are:
    // before, every shard matters; of several words, guessed before from the
    // bounds: see likely; by date, from the counts: see leading).
    function step() {
      take();
      var next = candidates.filter(function (s) { return !read[s] && matters(s); }).sort(first);
      if (!next.length) return Promise.resolve();
      var loads = [], parts = 0;
      function load(t, place) {
        t.parts[place] = true;
        parts += 1;
        if (!had(t, place)) {
          t.bytes += t.split.files[place][1];
          t.fetched += 1;
        }
        loads.push(termsFile(t.set, splitFile(t.set, t.split, place)).then(function (list) {
          for (var i = 0; i < list.length; i += 2) t.postings[list[i]] = list[i + 1];
        }));
      }
      // Of several words by relevance, the shards likely to matter until they are read; by
      // date, those likely to hold the results; then those that do, as the results so far tell.
      var guessed = order ? leading(next) : !alone ? next.filter(function (s) { return bound[s] >= likely; }) : [];
      var wanted = guessed.length ? guessed : hits.length >= count ? next : [];
      if (wanted.length) {
        terms.forEach(function (t) {
          if (!t.split || t.parts[0]) return;
          if (had(t, 0)) return load(t, 0);
          var left = Object.keys(partsOf(t, wanted)).filter(function (place) { return !had(t, place); });
          var bytes = t.bytes;
          left.forEach(function (place) { bytes += t.split.files[place][1]; });
          if (left.length && wholePays(t.split, t.fetched + left.length, bytes)) load(t, 0);
        });
      }
      next.some(function (s) {
        terms.forEach(function (t) {
          if (!t.split || t.parts[0]) return;
          Object.keys(partsOf(t, [s])).forEach(function (place) {
            if (!t.parts[place]) load(t, place);
          });
        });
        return parts >= PARTS_AT_ONCE;
      });
      if (!loads.length) return Promise.reject(new Error("a part of the index does not hold the shard it is listed for"));
      return Promise.all(loads).then(step);
    }

    return step().then(function () {
      var years = {}, total = 0, approximate = false;
      hits.forEach(function (hit) {
        if (hit.listed) return; // of a shard not read: counted below
        var y = hit.month.slice(0, 4);
        years[y] = (years[y] || 0) + 1;
        total += 1;
      });
      candidates.forEach(function (s) {
        if (read[s]) return;
        var shard = found.shards[s], y = shard.months[0][0].slice(0, 4);
        var estimate = alone ? countAlone(s) : Math.round(unread(s).documents);
        approximate = approximate || !alone; // several words: always estimated (see unread)
        years[y] = (years[y] || 0) + estimate;
        total += estimate;
      });
      return { hits: hits, total: total, years: years, approximate: approximate };

      // A word alone: the documents of shard s that hold it, from its terms'
      // counts there (exact where one term has documents in the shard, or the
      // list gives the word's; else estimated).
      function countAlone(s) {
        var shard = found.shards[s], none = 1, holding = 0;
        terms.forEach(function (t) {
          var at = t.at[s];
          if (at === undefined) return;
          var documents = t.split ? t.split.counts[at] : 0;
          if (!t.split) decode(t.postings[s], function () { documents += 1; });
          none *= 1 - documents / shard.documents;
          holding += 1;
        });
        var known = familyCount[s] !== undefined;
        approximate = approximate || holding > 1 && !known;
        return known ? familyCount[s] : Math.round(shard.documents * (1 - none));
      }
    });
  }

  // Base64, as Python's base64.b64encode writes it, read by the browser.
  function fromBase64(text) {
    var binary = atob(text), bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  }

  // The list, a chunk of records or one of a very common word, as the build packed it: JSON, deflated, in base64.
  var unpacked = {};
  function unpack(name, packed) {
    if (!unpacked[name]) {
      var bytes = fromBase64(packed);
      var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate-raw"));
      unpacked[name] = new Response(stream).text().then(JSON.parse);
    }
    return unpacked[name];
  }

  // The record of each hit's document: [title, date, url, text, language, direction, dateText].
  function records(hits) {
    return Promise.all(hits.map(function (hit) {
      var shard = hit.shard, per = hit.perChunk, first = hit.local - hit.local % per;
      var name = shard.path + "docs/" + first / per + ".js", key = "docs:" + shard.path + first;
      return load(name, key, undefined, shard.version).then(function (packed) { return unpack(key, packed); })
        .then(function (list) { return list[hit.local - first]; });
    }));
  }

  // ---- Marks and passages: where the query's words are in a text ----

  var RAW_WORD = /[\p{L}\p{N}\p{M}]+/gu;
  var PASSAGE = 30; // words

  // Which query term a normalised word matches (its number), or -1.
  function matching(part, queries) {
    var stemmed = stem(part);
    for (var q = 0; q < queries.length; q++) {
      var query = queries[q];
      if (CJK_CHAR.test(query.term)) {
        if (part.indexOf(query.term) >= 0) return q;
      } else if (stemmed === query.term || (query.prefix && (stemmed.indexOf(query.term) === 0 || part.indexOf(query.term) === 0))) {
        return q;
      }
    }
    return -1;
  }

  // The words of a text: [start, end, number of the query term it matches or -1].
  function scan(text, queries) {
    var found = [];
    text.replace(RAW_WORD, function (word, at) {
      var parts = words(word), hit = -1;
      for (var p = 0; p < parts.length && hit < 0; p++) hit = matching(parts[p], queries);
      found.push([at, at + word.length, hit]);
      return word;
    });
    return found;
  }

  function marksOf(scanned, from, to, shift) {
    var marks = [];
    for (var w = from; w < to; w++) if (scanned[w][2] >= 0) marks.push([scanned[w][0] - shift, scanned[w][1] - shift]);
    return marks;
  }

  // The passage of about PASSAGE words that holds the most of the query's
  // different words (the first such), with them marked; the opening when the
  // text holds none of them.
  function passage(text, queries) {
    var scanned = scan(text, queries), best = 0, bestScore = -1;
    for (var start = 0; start < scanned.length; start++) {
      if (start > 0 && scanned[start][2] < 0) continue; // a passage starts at a match, or at the top
      var seen = {}, score = 0;
      for (var w = start; w < Math.min(scanned.length, start + PASSAGE); w++) {
        var q = scanned[w][2];
        if (q >= 0) { score += seen[q] ? 0.01 : 1; seen[q] = true; }
      }
      if (score > bestScore) { best = start; bestScore = score; }
    }
    // A few words before the first match, for its context.
    var from = bestScore > 0 ? Math.max(0, best - 5) : 0, to = Math.min(scanned.length, from + PASSAGE);
    if (!scanned.length) return { excerpt: "", marks: [] };
    var startAt = from === 0 ? 0 : scanned[from][0], endAt = to === scanned.length ? text.length : scanned[to - 1][1];
    var before = from === 0 ? "" : "\u2026 ", after = to === scanned.length ? "" : " \u2026";
    var body = text.slice(startAt, endAt).replace(/\s+/g, " ");
    // Spaces folded: marks are found again in the passage as it is shown.
    var shown = before + body.trim() + after, again = scan(shown, queries);
    return { excerpt: shown, marks: marksOf(again, 0, again.length, 0) };
  }

  // [[start, end], ...] in UTF-16 units of text: the words that the query finds.
  function marks(text, queries) {
    var scanned = scan(text, queries);
    return marksOf(scanned, 0, scanned.length, 0);
  }

  // ---- The engine's API ----

  function ordered(hits, order) {
    return hits.sort(function (a, b) {
      if (order === "desc") return a.doc - b.doc;
      if (order === "asc") return b.doc - a.doc;
      return b.score - a.score || a.doc - b.doc;
    });
  }

  // The articles that hold every word of the query, filtered by year ("2023")
  // and month ("04"), in the order asked; the counts per year and month that
  // the page offers as filters.
  api.search = function (query, options) {
    options = options || {};
    var year = String(options.year || ""), month = year ? String(options.month || "") : "";
    var count = options.count === undefined ? 10 : options.count;
    var queries, lazily = null;
    function lazy(found, chunkLists) {
      return rankLazily(found, queries, chunkLists, count, options.order || "").then(function (answer) {
        lazily = answer;
        return answer.hits;
      });
    }
    return loadStemmer().then(index).then(function (found) {
      queries = queryTerms(query);
      if (!queries.length || year) return queries.length ? rank(found, queries) : [];
      if (queries.length > 1) {
        return chunksOfQuery(found, queries).then(function (chunkLists) {
          return splitBytes(queries, chunkLists) > api.exactBytes ? lazy(found, chunkLists) : rank(found, queries, chunkLists);
        });
      }
      return isSplit(found, queries[0], !options.order && count <= FIRST).then(function (chunks) {
        return chunks ? lazy(found, [chunks]) : rank(found, queries);
      });
    }).then(function (hits) {
      if (lazily) return answered(lazily.hits.slice(0, count), lazily.total, lazily.years, {}, lazily.approximate);
      var years = {}, months = {}, kept = [];
      hits.forEach(function (hit) {
        var y = hit.month.slice(0, 4), m = hit.month.slice(5);
        years[y] = (years[y] || 0) + 1;
        if (y !== year && year) return;
        months[m] = (months[m] || 0) + 1;
        if (!month || m === month) kept.push(hit);
      });
      if (!year) months = {};
      return answered(ordered(kept, options.order || "").slice(0, count), kept.length, years, months, false);
    });

    function answered(shown, total, years, months, approximate) {
      return records(shown).then(function (list) {
        return {
          total: total, years: years, months: months, approximate: approximate,
          results: list.map(function (record) {
            var found = passage(record[3], queries);
            return {
              url: record[2], title: record[0], date: record[1], dateText: record[6],
              language: record[4], direction: record[5], titleMarks: marks(record[0], queries),
              excerpt: found.excerpt, excerptMarks: found.marks
            };
          })
        };
      });
    }
  };
  api.queryTerms = queryTerms;
  api.fromBase64 = fromBase64;
  api.lengthBonus = lengthBonus;
  api.words = words;
  api.stem = function (word) { return loadStemmer().then(function () { return stem(word); }); };
})();
