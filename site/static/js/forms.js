/* QI Groups forms: progressive enhancement, no framework.
 *
 * Every form works without this file: a plain HTML form that POSTs to
 * /api/..., and the server answers with a redirect (to a confirmation, or
 * back to the member page with a notice) or, when it refuses the form, with
 * the same form again: every answer kept, "There is a problem" at the top
 * and each message beside its field (functions/src/http/forms.rs). The
 * server is the one judge and the one source of the messages. With this file:
 *   - a form opted in with data-qi-form is sent with fetch, without leaving
 *     the page; a refused form is replaced by the server's, and focus goes
 *     to its error summary;
 *   - after a change on a member page, the page's main content is replaced
 *     by the server's new one and focus goes to its notice (or heading), so
 *     it never drops to the page body;
 *   - repeated rows (peers, goals) can be added and removed.
 */
(function () {
  'use strict';

  if (!window.fetch || !window.FormData || !window.URLSearchParams || !window.DOMParser || !document.querySelector) {
    return;
  }

  /* The page's strings, in its language: the layout's JSON block #qi-strings
     (site/i18n/*.toml, the keys under `js.`). s('key', { n: 2 }) fills
     {n}; a missing key shows as itself, so it is easy to spot. */
  var STRINGS = JSON.parse((document.getElementById('qi-strings') || {}).textContent || '{}');
  function s(key, args) {
    var text = Object.prototype.hasOwnProperty.call(STRINGS, key) ? STRINGS[key] : key;
    return String(text).replace(/\{\{|\{(\w+)\}/g, function (m, name) {
      if (m === '{{') return '{';
      return args && args[name] != null ? String(args[name]) : m;
    });
  }

  /* The repeated rows' own strings, by the container's data-qi-noun. */
  var ROW_STRINGS = {
    peer: { add: 'rows_add_peer', remove: 'rows_remove_peer', added: 'rows_peer_added', removed: 'rows_peer_removed' },
    goal: { add: 'rows_add_goal', remove: 'rows_remove_goal', added: 'rows_goal_added', removed: 'rows_goal_removed' }
  };

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $$(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text != null) node.textContent = text;
    return node;
  }

  /* A polite live region per page, for "row added" and the like. */
  var liveRegion;
  function announce(text) {
    if (!liveRegion) {
      liveRegion = el('div', { 'class': 'qi-visually-hidden', role: 'status', 'aria-live': 'polite' });
      document.body.appendChild(liveRegion);
    }
    liveRegion.textContent = '';
    setTimeout(function () { liveRegion.textContent = text; }, 50);
  }

  function focusOn(node) {
    if (!node) return;
    if (!node.hasAttribute('tabindex') && !/^(A|BUTTON|INPUT|SELECT|TEXTAREA)$/.test(node.tagName)) node.setAttribute('tabindex', '-1');
    node.focus();
    if (node.scrollIntoView) node.scrollIntoView({ block: 'start' });
  }

  /* ------------------------------------------------------ the summary --- */

  /* The summary's links move focus to the field itself (a plain #link only
     scrolls, in some browsers). */
  function wireSummary(summary) {
    $$('a[href^="#"]', summary).forEach(function (a) {
      a.addEventListener('click', function (e) {
        var target = document.getElementById(a.getAttribute('href').slice(1));
        if (!target) return;
        e.preventDefault();
        target.focus();
        if (target.scrollIntoView) target.scrollIntoView({ block: 'center' });
      });
    });
  }

  /* A message when the server could not be reached or gave no page. */
  function problem(form, message) {
    var old = $('[data-qi-error-summary]');
    if (old) old.parentNode.removeChild(old);
    var summary = el('div', { 'class': 'qi-error-summary', role: 'alert', tabindex: '-1', 'aria-labelledby': 'error-summary-title', 'data-qi-error-summary': '' });
    summary.appendChild(el('h2', { 'class': 'qi-error-summary__title', id: 'error-summary-title' }, s('error_summary_title')));
    summary.appendChild(el('p', null, message));
    form.parentNode.insertBefore(summary, form);
    focusOn(summary);
    answered();
  }

  /* ---------------------------------------------------------- submit --- */

  function formBody(form, submitter) {
    var data = new FormData(form);
    if (submitter && submitter.name) data.append(submitter.name, submitter.value);
    return new URLSearchParams(data);
  }

  function setBusy(form, busy) {
    form.setAttribute('aria-busy', busy ? 'true' : 'false');
    $$('button', form).forEach(function (b) { b.disabled = busy; });
  }

  /* The server's answer to a post, as a page: a refused form (its summary
     and form replace ours), the same page after a change (its main content
     replaces ours), or another page (we go there). */
  /* Each answer shown bumps a counter on <html> (data-qi-answers), which
     tests wait for instead of guessing how long an update takes. */
  function answered() {
    var root = document.documentElement;
    root.setAttribute('data-qi-answers', String(Number(root.getAttribute('data-qi-answers') || 0) + 1));
  }

  function show(form, res, html) {
    var doc = new DOMParser().parseFromString(html, 'text/html');
    var summary = $('[data-qi-error-summary]', doc);
    var answer = form.id && doc.getElementById(form.id);
    var samePage = new URL(res.url, window.location.href).pathname === window.location.pathname;
    var main = $('main', doc);
    if (samePage && main && $('main') && (res.ok || summary)) {
      /* The same page again: after a change (with its notice), or refused
         (with its summary and the answers kept). An error page (no summary
         of a form) never replaces the page: see below. */
      $('main').innerHTML = main.innerHTML;
      document.title = doc.title;
      if (res.ok && res.redirected && window.history && window.history.replaceState) {
        window.history.replaceState(null, '', res.url);
      }
      start($('main'));
      focusOn($('[data-qi-error-summary]', $('main')) || $('[data-qi-focus]', $('main')) || $('main h1'));
      answered();
      return;
    }
    /* A site form refused: the server's form, answers kept, replaces ours. */
    if (!res.ok && summary && answer) {
      var old = $('[data-qi-error-summary]');
      if (old) old.parentNode.removeChild(old);
      var fresh = document.importNode(answer, true);
      form.parentNode.replaceChild(fresh, form);
      fresh.parentNode.insertBefore(document.importNode(summary, true), fresh);
      document.title = doc.title;
      start(fresh.parentNode);
      focusOn($('[data-qi-error-summary]'));
      answered();
      return;
    }
    if (!res.ok) {
      /* Refused for a reason that is not about the answers (an error page):
         say why above the form, and keep every answer. */
      var heading = $('main h1', doc);
      var why = $('main .qi-error-summary p', doc) || $('main p', doc);
      problem(form, [heading && heading.textContent, why && why.textContent].filter(Boolean).join('. ').replace(/\.\./g, '.') ||
        s('something_went_wrong', { status: res.status }));
      return;
    }
    window.location.assign(res.url);
  }

  function enhanceForm(form) {
    if (form.qiEnhanced) return;
    form.qiEnhanced = true;
    var lastSubmitter = null;
    form.addEventListener('click', function (e) {
      var b = e.target.closest('button[type="submit"], button:not([type])');
      if (b && form.contains(b)) lastSubmitter = b;
    });
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      var submitter = e.submitter || lastSubmitter || $('button[type="submit"]', form);
      lastSubmitter = null;
      var action = (submitter && submitter.getAttribute('formaction')) || form.getAttribute('action');
      setBusy(form, true);
      fetch(action, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { Accept: 'text/html' },
        body: formBody(form, submitter)
      }).then(function (res) {
        return res.text().then(function (html) {
          setBusy(form, false);
          if (/text\/html/.test(res.headers.get('content-type') || '')) show(form, res, html);
          else problem(form, s('something_went_wrong', { status: res.status }));
        });
      }, function () {
        setBusy(form, false);
        problem(form, s('unreachable'));
      });
    });
  }

  /* ---------------------------------------------------- repeated rows --- */

  /* A container [data-qi-rows="peer"] holds rows [data-qi-row] whose field
     names, ids and labels carry the row number (peer_3_email, "Peer 3").
     Without JavaScript all rendered rows show; with it, empty rows beyond
     data-qi-min are removed and can be added back up to data-qi-max. */
  function renumber(row, prefix, n) {
    var re = new RegExp(prefix + '_\\d+_', 'g');
    $$('[name], [id], [for], [aria-describedby], [data-qi-field]', row).concat([row]).forEach(function (node) {
      ['name', 'id', 'for', 'aria-describedby', 'data-qi-field'].forEach(function (attr) {
        var v = node.getAttribute(attr);
        if (v) node.setAttribute(attr, v.replace(re, prefix + '_' + n + '_'));
      });
    });
    $$('[data-qi-n]', row).forEach(function (node) { node.textContent = String(n); });
    var words = new RegExp('\\b(' + prefix + ') \\d+', 'gi');
    $$('[data-qi-label]', row).forEach(function (node) {
      ['data-qi-label'].forEach(function (attr) {
        var v = node.getAttribute(attr);
        if (v) node.setAttribute(attr, v.replace(words, function (m, word) { return word + ' ' + n; }));
      });
    });
  }

  /* A repeated row is empty when all its text fields are empty (the server
     ignores such rows, whatever a select or radio says). */
  function rowIsEmpty(row) {
    return $$('input[type="text"], input[type="email"], input:not([type]), textarea', row)
      .every(function (f) { return f.value.trim() === ''; });
  }

  function enhanceRows(box) {
    if (box.qiEnhanced) return;
    box.qiEnhanced = true;
    var prefix = box.getAttribute('data-qi-rows');
    var noun = box.getAttribute('data-qi-noun') || prefix;
    var rowText = ROW_STRINGS[noun] || ROW_STRINGS.peer;
    var max = Number(box.getAttribute('data-qi-max')) || 6;
    var keep = Math.max(1, Number(box.getAttribute('data-qi-keep') || 1));
    var rows = $$('[data-qi-row]', box);
    if (!rows.length) return;
    var template = rows[0].cloneNode(true);
    $$('input, textarea', template).forEach(function (f) {
      if (f.type === 'radio' || f.type === 'checkbox') f.checked = false; else f.value = '';
    });
    /* A new peer's preferred language starts as the page's, as the server's blank rows do. */
    $$('select', template).forEach(function (sel) {
      sel.selectedIndex = 0;
      if (/_language$/.test(sel.name)) {
        var lang = document.documentElement.lang;
        $$('option', sel).forEach(function (o) { if (o.value === lang) sel.value = lang; });
      }
    });
    /* Keep rows up to the last one with content (a restored or autofilled form). */
    var last = 0;
    rows.forEach(function (r, i) { if (!rowIsEmpty(r)) last = i + 1; });
    rows.slice(Math.max(keep, last)).forEach(function (r) { r.parentNode.removeChild(r); });

    var addButton = el('button', { type: 'button', 'class': 'qi-button--secondary', 'data-qi-add': prefix }, s(rowText.add));
    box.parentNode.insertBefore(addButton, box.nextSibling);

    function current() { return $$('[data-qi-row]', box); }
    function refresh() {
      var all = current();
      all.forEach(function (r, i) {
        renumber(r, prefix, i + 1);
        var rm = $('[data-qi-remove]', r);
        if (all.length > 1 && !rm) {
          rm = el('button', { type: 'button', 'class': 'qi-link-button', 'data-qi-remove': '' });
          rm.addEventListener('click', function () { removeRow(r); });
          r.appendChild(rm);
        } else if (all.length <= 1 && rm) {
          r.removeChild(rm);
        }
        if (rm) rm.textContent = s(rowText.remove, { n: i + 1 });
      });
      addButton.hidden = all.length >= max;
      var counter = box.getAttribute('data-qi-count-target') && document.getElementById(box.getAttribute('data-qi-count-target'));
      if (counter) counter.textContent = s('rows_count', { n: all.length, max: max });
      box.dispatchEvent(new Event('qi:rows', { bubbles: true }));
    }
    function addRow(focus) {
      if (current().length >= max) return null;
      var row = template.cloneNode(true);
      box.appendChild(row);
      refresh();
      if (focus !== false) {
        var first = $('input:not([type="radio"]), select, textarea, input', row);
        if (first) first.focus();
        announce(s(rowText.added, { n: current().length }));
      }
      return row;
    }
    function removeRow(row) {
      var index = current().indexOf(row);
      row.parentNode.removeChild(row);
      refresh();
      var all = current();
      var next = all[Math.min(index, all.length - 1)];
      var focusTarget = next ? $('input, select, textarea', next) : addButton;
      if (focusTarget) focusTarget.focus();
      announce(s(rowText.removed, { n: index + 1 }));
      box.dispatchEvent(new Event('input', { bubbles: true }));
    }
    addButton.addEventListener('click', function () { addRow(true); });
    box.qiEnsureRows = function (n) {
      while (current().length < Math.min(n, max)) addRow(false);
    };
    refresh();
  }


  /* ----------------------------------------------------------- start --- */

  function start(root) {
    $$('[data-qi-rows]', root).forEach(enhanceRows);
    $$('form[data-qi-form]', root).forEach(enhanceForm);
    $$('[data-qi-error-summary]', root).forEach(wireSummary);
  }

  function begin() {
    document.documentElement.classList.add('qi-js');
    start(document);
    /* A refused form the server rendered on a plain post: focus its summary. */
    var summary = $('[data-qi-error-summary]');
    if (summary) focusOn(summary);
    /* Notices that say what the server just did, from its redirect's query
       (/me/signed-out/?left=1): shown only when the query names them. */
    var query = new URLSearchParams(window.location.search);
    $$('[data-qi-query]').forEach(function (n) { n.hidden = !query.has(n.getAttribute('data-qi-query')); });
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', begin);
  else begin();
})();
