/* QI Groups forms: progressive enhancement, no framework.
 *
 * Every form on the site works without this file: it is a plain HTML form
 * that POSTs to /api/... and the server answers with a redirect to a
 * confirmation page or an HTML page listing each error. With this file:
 *   - fields are checked before sending (the same rules the server applies),
 *     each message tied to its field (aria-describedby, aria-invalid) and
 *     listed in an error summary that receives focus;
 *   - the form is sent with fetch (Accept: application/json) without leaving
 *     the page, and the server's field errors are shown the same way;
 *   - repeated rows (peers, goals) can be added and removed.
 * Forms opt in with data-qi-form="NAME". The member pages add member.js,
 * which uses the helpers this file exposes as window.QIForms.
 */
(function () {
  'use strict';

  if (!window.fetch || !window.FormData || !window.URLSearchParams || !document.querySelector) {
    return;
  }

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $$(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text != null) node.textContent = text;
    return node;
  }
  function today() {
    var d = new Date();
    var m = String(d.getMonth() + 1), day = String(d.getDate());
    return d.getFullYear() + '-' + (m.length < 2 ? '0' : '') + m + '-' + (day.length < 2 ? '0' : '') + day;
  }
  function longDate(iso) {
    if (!iso) return '';
    var p = String(iso).slice(0, 10).split('-');
    var months = ['January', 'February', 'March', 'April', 'May', 'June', 'July',
      'August', 'September', 'October', 'November', 'December'];
    if (p.length !== 3) return String(iso);
    /* "1 December 2026", as the site's pages and the server's pages write dates. */
    return Number(p[2]) + ' ' + months[Number(p[1]) - 1] + ' ' + p[0];
  }

  /* A polite live region per page, for "saved", "row added" and the like. */
  var liveRegion;
  function announce(text) {
    if (!liveRegion) {
      liveRegion = el('div', { 'class': 'qi-visually-hidden', role: 'status', 'aria-live': 'polite' });
      document.body.appendChild(liveRegion);
    }
    liveRegion.textContent = '';
    setTimeout(function () { liveRegion.textContent = text; }, 50);
  }


  /* ------------------------------------------------------------ API --- */

  function api(method, url, body) {
    var opts = { method: method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
    if (body) opts.body = body;
    return fetch(url, opts).then(function (res) {
      return res.text().then(function (text) {
        var data;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        return { status: res.status, ok: res.ok, data: data };
      });
    });
  }


  /* ------------------------------------------------------ validation --- */

  function labelOf(field) {
    if (field.getAttribute('data-qi-label')) return field.getAttribute('data-qi-label');
    var group = field.closest('fieldset');
    if ((field.type === 'radio' || field.type === 'checkbox') && group) {
      var legend = $('legend', group);
      if (legend) return legend.textContent.trim();
    }
    var label = field.id && $('label[for="' + field.id + '"]');
    return label ? label.textContent.replace(/\s+/g, ' ').replace(/\(optional\)/, '').trim() : field.name;
  }

  function rowOf(field) { return field.closest('[data-qi-row]'); }

  /* A repeated row is empty when all its text fields are empty (the server
     ignores such rows, whatever a select or radio says). */
  function rowIsEmpty(row) {
    return $$('input[type="text"], input[type="email"], input[type="date"], input:not([type]), textarea', row)
      .every(function (f) { return f.value.trim() === ''; });
  }

  var CHECKS = {
    cpso: function (v) {
      return /^[1-9][0-9]{0,5}$/.test(v.replace(/\s+/g, '')) ? null
        : 'Enter a CPSO number of 1 to 6 digits, like 12345 (no letters, no leading zero)';
    },
    email: function (v) {
      return /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/.test(v) ? null : 'Enter an email address like name@example.org';
    },
    'past-date': function (v) {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(v)) return 'Enter a real date: day, month and year';
      return v > today() ? 'The date cannot be in the future' : null;
    },
    date: function (v) {
      return /^\d{4}-\d{2}-\d{2}$/.test(v) ? null : 'Enter a real date: day, month and year';
    }
  };

  /* Returns [{field: name, message}] for the form as it would be sent by
     `submitter`. Mirrors the server's rules; the server stays the judge. */
  function validate(form, submitter) {
    var errors = [];
    var seen = {};
    if (submitter && submitter.hasAttribute('data-qi-skip-validation')) return errors;
    $$('input, select, textarea', form).forEach(function (f) {
      if (!f.name || f.disabled || f.type === 'hidden' || f.closest('.qi-hp') || seen[f.name]) return;
      var row = rowOf(f);
      var rowSkipped = row && rowIsEmpty(row);
      var value = (f.type === 'radio' || f.type === 'checkbox')
        ? ($$('input[name="' + f.name + '"]:checked', form)[0] || { value: '' }).value
        : f.value.trim();
      var required = f.required || (f.hasAttribute('data-qi-row-required') && row && !rowSkipped);
      if (f.hasAttribute('data-qi-required-when')) {
        required = !!submitter && submitter.value === f.getAttribute('data-qi-required-when') && !rowSkipped;
      }
      var message = null;
      if (value === '') {
        if (required) message = f.getAttribute('data-qi-required') || ('Enter ' + labelOf(f).toLowerCase());
      } else {
        var check = f.getAttribute('data-qi-check') || (f.type === 'email' ? 'email' : f.type === 'date' ? 'date' : null);
        if (check && CHECKS[check]) message = CHECKS[check](value);
        var max = Number(f.getAttribute('maxlength'));
        if (!message && max && value.length > max) message = labelOf(f) + ' must be ' + max + ' characters or fewer';
      }
      if (message) { seen[f.name] = true; errors.push({ field: f.name, message: message }); }
    });
    /* Form-level checks declared on the form. */
    var rowsBox = $('[data-qi-rows][data-qi-min]', form);
    if (rowsBox && !(submitter && submitter.value === 'save')) {
      var min = Number(rowsBox.getAttribute('data-qi-min'));
      var filled = $$('[data-qi-row]', rowsBox).filter(function (r) { return !rowIsEmpty(r); }).length;
      if (filled < min && rowsBox.getAttribute('data-qi-min-message')) {
        var first = $('[data-qi-row] input', rowsBox);
        errors.push({ field: first ? first.name : rowsBox.id, message: rowsBox.getAttribute('data-qi-min-message') });
      }
    }
    /* Duplicate CPSO numbers within one form (the lead and each peer). */
    var cpsos = {};
    $$('[data-qi-check="cpso"]', form).forEach(function (f) {
      var v = f.value.replace(/\s+/g, '');
      if (!v || f.disabled) return;
      if (cpsos[v] && !seen[f.name]) {
        errors.push({ field: f.name, message: 'This CPSO number is already given for ' + labelOf(cpsos[v]).replace(/ CPSO number.*/i, '') + '; each member must be a different physician' });
        seen[f.name] = true;
      } else cpsos[v] = f;
    });
    if (form.qiExtraValidate) errors = errors.concat(form.qiExtraValidate(submitter));
    return errors;
  }

  /* ---------------------------------------------------------- errors --- */

  function clearErrors(form) {
    var summary = $('.qi-error-summary', form);
    if (summary) summary.parentNode.removeChild(summary);
    $$('.qi-field-error', form).forEach(function (p) {
      $$('[aria-describedby~="' + p.id + '"]', form).forEach(function (f) {
        var ids = f.getAttribute('aria-describedby').split(/\s+/).filter(function (id) { return id && id !== p.id; });
        if (ids.length) f.setAttribute('aria-describedby', ids.join(' '));
        else f.removeAttribute('aria-describedby');
      });
      p.parentNode.removeChild(p);
    });
    $$('[aria-invalid]', form).forEach(function (f) { f.removeAttribute('aria-invalid'); });
    $$('.qi-has-error', form).forEach(function (f) { f.classList.remove('qi-has-error'); });
  }

  function fieldsNamed(form, name) {
    return $$('[name]', form).filter(function (f) { return f.name === name && f.type !== 'hidden'; });
  }

  /* Shows errors [{field, message}] inline and in a focused summary. Errors
     whose field is not an input of this form (a rule about the whole form)
     go to an element marked data-qi-field="NAME" if there is one, else only
     to the summary. */
  function showErrors(form, errors, title) {
    clearErrors(form);
    var summary = el('div', { 'class': 'qi-error-summary', role: 'alert', tabindex: '-1', 'aria-labelledby': form.id + '-error-title' });
    summary.appendChild(el('h2', { id: form.id + '-error-title' }, title || 'There is a problem'));
    var list = el('ul');
    summary.appendChild(list);
    errors.forEach(function (err, i) {
      var fields = err.field ? fieldsNamed(form, err.field) : [];
      var anchor = err.field && $('[data-qi-field="' + err.field + '"]', form);
      var item = el('li');
      var target = fields[0] || anchor;
      if (target) {
        if (!target.id) target.id = 'qi-' + (err.field || 'field') + '-' + i;
        var link = el('a', { href: '#' + target.id }, err.message);
        link.addEventListener('click', function (e) {
          e.preventDefault();
          target.focus();
          target.scrollIntoView({ block: 'center' });
        });
        item.appendChild(link);
      } else {
        item.textContent = err.message;
      }
      list.appendChild(item);
      var msgId = (target ? target.id : 'qi-form') + '-error-' + i;
      var msg = el('p', { 'class': 'qi-field-error', id: msgId });
      msg.appendChild(el('span', { 'class': 'qi-visually-hidden' }, 'Error: '));
      msg.appendChild(document.createTextNode(err.message));
      if (fields.length) {
        var box = fields[0].closest('.qi-field') || fields[0].closest('fieldset');
        var before = fields[0].type === 'radio' ? $('.qi-radios', box) || fields[0] : fields[0];
        if (before.parentNode) before.parentNode.insertBefore(msg, before);
        if (box) box.classList.add('qi-has-error');
        fields.forEach(function (f) {
          var ids = (f.getAttribute('aria-describedby') || '').split(/\s+/).filter(Boolean);
          ids.push(msgId);
          f.setAttribute('aria-describedby', ids.join(' '));
          if (f.type !== 'radio' && f.type !== 'checkbox') f.setAttribute('aria-invalid', 'true');
        });
      } else if (anchor) {
        var head = anchor.firstElementChild;
        anchor.insertBefore(msg, head ? head.nextSibling : anchor.firstChild);
        anchor.classList.add('qi-has-error');
      }
    });
    form.insertBefore(summary, form.firstChild);
    summary.focus();
  }

  function serverErrors(res) {
    var d = res.data || {};
    if (d.fields && d.fields.length) return d.fields;
    var message = d.message;
    if (res.status === 401) {
      message = 'You are not signed in on this device, or your sign-in has ended. Open the link in your latest email from QI Groups and press Sign in, or ask for a new link on the page "Get a new sign-in link". Then try again.';
    } else if (res.status === 413) {
      message = message || 'What you entered is too long to send. Shorten the longest answers and try again.';
    } else if (res.status === 503) {
      message = message || 'The service is busy. Wait a minute and try again; your answers are still here.';
    } else if (res.status === 0 || !message) {
      message = 'Something went wrong (' + (res.status || 'no answer') + '). Your answers are still here; try again.';
    }
    return [{ field: null, message: message }];
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

  function enhanceForm(form) {
    if (form.qiEnhanced) return;
    form.qiEnhanced = true;
    if (!form.id) form.id = 'qi-form-' + Math.random().toString(36).slice(2, 8);
    var lastSubmitter = null;
    form.addEventListener('click', function (e) {
      var b = e.target.closest('button[type="submit"], button:not([type])');
      if (b && form.contains(b)) lastSubmitter = b;
    });
    form.addEventListener('submit', function (e) {
      e.preventDefault();
      var submitter = e.submitter || lastSubmitter || $('button[type="submit"]', form);
      lastSubmitter = null;
      var errors = validate(form, submitter);
      if (errors.length) { showErrors(form, errors); return; }
      clearErrors(form);
      setBusy(form, true);
      api('POST', form.getAttribute('action'), formBody(form, submitter)).then(function (res) {
        setBusy(form, false);
        if (res.ok) {
          var handler = SUCCESS[form.getAttribute('data-qi-form')] || SUCCESS.navigate;
          handler(form, res.data || {}, submitter);
        } else {
          showErrors(form, serverErrors(res));
        }
      }, function () {
        setBusy(form, false);
        showErrors(form, [{ field: null, message: 'Could not reach the server. Check your connection; your answers are still here. Then try again.' }]);
      });
    });
  }


  /* What happens after a successful JSON answer, by data-qi-form name.
     member.js adds its own entries. */
  var SUCCESS = {
    /* The sign-up (202) and the new-link request (202) answer the same
       whatever was typed, so both simply go to their "check your email" page:
       nothing in the answer says who is invited or who is a member. */
    navigate: function (form) {
      var next = form.getAttribute('data-qi-next');
      if (next) window.location.assign(next);
    }
  };

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
    $$('[data-qi-required], [data-qi-label]', row).forEach(function (node) {
      ['data-qi-required', 'data-qi-label'].forEach(function (attr) {
        var v = node.getAttribute(attr);
        if (v) node.setAttribute(attr, v.replace(words, function (m, word) { return word + ' ' + n; }));
      });
    });
  }

  function enhanceRows(box) {
    var prefix = box.getAttribute('data-qi-rows');
    var noun = box.getAttribute('data-qi-noun') || prefix;
    var max = Number(box.getAttribute('data-qi-max')) || 6;
    var keep = Math.max(1, Number(box.getAttribute('data-qi-keep') || 1));
    var rows = $$('[data-qi-row]', box);
    if (!rows.length) return;
    var template = rows[0].cloneNode(true);
    $$('input, textarea', template).forEach(function (f) {
      if (f.type === 'radio' || f.type === 'checkbox') f.checked = false; else f.value = '';
    });
    $$('select', template).forEach(function (s) { s.selectedIndex = 0; });
    /* Keep rows up to the last one with content (a restored or autofilled form). */
    var last = 0;
    rows.forEach(function (r, i) { if (!rowIsEmpty(r)) last = i + 1; });
    rows.slice(Math.max(keep, last)).forEach(function (r) { r.parentNode.removeChild(r); });

    var addButton = el('button', { type: 'button', 'class': 'qi-secondary', 'data-qi-add': prefix }, 'Add another ' + noun);
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
        if (rm) rm.textContent = 'Remove ' + noun + ' ' + (i + 1);
      });
      addButton.hidden = all.length >= max;
      var counter = box.getAttribute('data-qi-count-target') && document.getElementById(box.getAttribute('data-qi-count-target'));
      if (counter) counter.textContent = all.length + ' of at most ' + max;
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
        announce(noun.charAt(0).toUpperCase() + noun.slice(1) + ' ' + current().length + ' added.');
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
      announce(noun.charAt(0).toUpperCase() + noun.slice(1) + ' ' + (index + 1) + ' removed.');
      box.dispatchEvent(new Event('input', { bubbles: true }));
    }
    addButton.addEventListener('click', function () { addRow(true); });
    box.qiEnsureRows = function (n) {
      while (current().length < Math.min(n, max)) addRow(false);
    };
    refresh();
  }


  /* ----------------------------------------------------------- start --- */

  window.QIForms = {
    $: $, $$: $$, el: el, api: api, announce: announce, today: today, longDate: longDate,
    onSuccess: SUCCESS
  };

  function start() {
    document.documentElement.classList.add('qi-js');
    $$('[data-qi-rows]').forEach(enhanceRows);
    $$('form[data-qi-form]').forEach(enhanceForm);
    $$('input[data-qi-check="past-date"]').forEach(function (f) { f.max = today(); });
    /* Notices that say what the server just did, from its redirect's query
       (/me/signed-out/?left=1): shown only when the query names them. */
    var query = new URLSearchParams(window.location.search);
    $$('[data-qi-query]').forEach(function (n) { n.hidden = !query.has(n.getAttribute('data-qi-query')); });
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
