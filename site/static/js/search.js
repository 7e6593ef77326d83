// Site search: loads the JSON index once and searches it in the browser.
// The page works without this script (it then says search needs JavaScript).
(function () {
  "use strict";
  var form = document.querySelector("form[data-search-index]");
  if (!form) return;
  var input = document.getElementById("search-input");
  var status = document.getElementById("search-status");
  var list = document.getElementById("search-results");
  var index = null;

  // The page's strings, in its language: the layout's JSON block #qi-strings
  // (site/i18n/*.toml, the keys under `js.`). s("key", { n: 2 }) fills {n};
  // a missing key shows as itself.
  var STRINGS = JSON.parse((document.getElementById("qi-strings") || {}).textContent || "{}");
  function s(key, args) {
    var text = Object.prototype.hasOwnProperty.call(STRINGS, key) ? STRINGS[key] : key;
    return String(text).replace(/\{\{|\{(\w+)\}/g, function (m, name) {
      if (m === "{{") return "{";
      return args && args[name] != null ? String(args[name]) : m;
    });
  }

  function words(text) {
    return text.toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "")
      .split(/[^a-z0-9]+/).filter(function (w) { return w.length > 0; });
  }

  function prepare(docs) {
    return docs.map(function (d) {
      return {
        doc: d,
        title: " " + words(d.title).join(" ") + " ",
        body: " " + words(d.description + " " + d.section + " " + d.text).join(" ") + " "
      };
    });
  }

  function score(entry, terms) {
    var total = 0;
    for (var i = 0; i < terms.length; i++) {
      var t = terms[i], points = 0;
      if (entry.title.indexOf(" " + t) >= 0) points += 10;
      var at = entry.body.indexOf(" " + t);
      while (at >= 0 && points < 30) { points += 1; at = entry.body.indexOf(" " + t, at + 1); }
      if (points === 0) return 0; // every word must match
      total += points;
    }
    return total;
  }

  function excerpt(text, terms) {
    var lower = text.toLowerCase(), at = -1;
    for (var i = 0; i < terms.length && at < 0; i++) at = lower.indexOf(terms[i]);
    var start = Math.max(0, at - 60);
    var piece = text.slice(start, start + 200);
    return (start > 0 ? "… " : "") + piece + (start + 200 < text.length ? " …" : "");
  }

  function show(query) {
    var terms = words(query);
    list.textContent = "";
    if (terms.length === 0) { status.textContent = s("search_empty"); return; }
    var hits = index.map(function (e) { return { e: e, s: score(e, terms) }; })
      .filter(function (h) { return h.s > 0; })
      .sort(function (a, b) { return b.s - a.s; })
      .slice(0, 50);
    status.textContent = hits.length === 0
      ? s("search_none", { query: query })
      : s(hits.length === 1 ? "search_one" : "search_many", { n: hits.length, query: query });
    hits.forEach(function (h) {
      var d = h.e.doc;
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = d.url;
      a.textContent = d.title;
      li.appendChild(a);
      if (d.section) {
        var sec = document.createElement("p");
        sec.className = "search-section";
        sec.textContent = d.section;
        li.appendChild(sec);
      }
      var p = document.createElement("p");
      p.textContent = d.description || excerpt(d.text, terms);
      li.appendChild(p);
      list.appendChild(li);
    });
  }

  function run(query) {
    if (index) { show(query); return; }
    status.textContent = s("search_busy");
    fetch(form.getAttribute("data-search-index"))
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (docs) { index = prepare(docs); show(query); })
      .catch(function () { status.textContent = s("search_unavailable"); });
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var q = input.value.trim();
    history.replaceState(null, "", "?q=" + encodeURIComponent(q));
    run(q);
  });

  var initial = new URLSearchParams(location.search).get("q");
  if (initial) { input.value = initial; run(initial); }
})();
