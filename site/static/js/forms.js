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
 *   - repeated rows (peers, goals) can be added and removed;
 *   - the member pages show the member's own state from /api/me and
 *     /api/groups/{id}; the PIP draft is also kept in localStorage.
 * Forms opt in with data-qi-form; member pages with data-qi-member.
 */
(function () {
  'use strict';

  if (!window.fetch || !window.FormData || !window.URLSearchParams || !document.querySelector) {
    return;
  }

  var ACTIVITIES = [
    ['qi_survey', 'QI Survey'],
    ['practice_profile', 'Practice Profile'],
    ['chart_review', 'Self-Guided Chart Review'],
    ['data_driven_qi', 'Data-Driven QI']
  ];

  function $(sel, root) { return (root || document).querySelector(sel); }
  function $$(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text != null) node.textContent = text;
    return node;
  }
  function activityLabel(key) {
    for (var i = 0; i < ACTIVITIES.length; i++) if (ACTIVITIES[i][0] === key) return ACTIVITIES[i][1];
    return key;
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
    return months[Number(p[1]) - 1] + ' ' + Number(p[2]) + ', ' + p[0];
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
        var data = null;
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
      message = 'This browser has not opened your personal link yet, or it has expired. Open the link from your email, then try again.';
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

  var SUCCESS = {
    navigate: function (form) {
      var next = form.getAttribute('data-qi-next');
      if (next) window.location.assign(next);
    },
    'sign-up': function (form, data) {
      try { if (data.lead_link) sessionStorage.setItem('qi:lead-link', data.lead_link); } catch (e) { /* private mode */ }
      SUCCESS.navigate(form);
    },
    activity: function (form, data, submitter) {
      var key = form.elements.activity.value;
      var undone = submitter && submitter.value === 'false';
      announce(activityLabel(key) + (undone ? ' marked as not done.' : ' marked as done.'));
      loadMember();
    },
    pip: function (form, data, submitter) {
      if (submitter && submitter.value === 'submit') {
        pipStorage.clear();
        SUCCESS.navigate(form);
        return;
      }
      pipStorage.save(form);
      var note = $('[data-qi-pip-saved]');
      if (note) {
        note.textContent = 'Draft saved at ' + new Date().toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) +
          '. Everyone in your group sees this draft.';
        note.hidden = false;
      }
      announce('Draft saved.');
      loadMember();
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

  /* ------------------------------------------------- member pages ------ */

  var member = null; /* { me, group } once loaded */

  function showSignedIn(signedIn) {
    $$('[data-qi-signed-in]').forEach(function (n) { n.hidden = !signedIn; });
    $$('[data-qi-signed-out]').forEach(function (n) { n.hidden = signedIn; });
  }

  function loadMember() {
    return api('GET', '/api/me').then(function (res) {
      if (res.status === 401) { showSignedIn(false); return null; }
      if (!res.ok || !res.data) throw new Error('me ' + res.status);
      var me = res.data;
      return api('GET', '/api/groups/' + encodeURIComponent(me.group_id)).then(function (g) {
        if (!g.ok || !g.data) throw new Error('group ' + g.status);
        member = { me: me, group: g.data };
        showSignedIn(true);
        renderMember();
        return member;
      });
    }).catch(function () {
      $$('[data-qi-load-error]').forEach(function (n) {
        n.hidden = false;
        n.textContent = 'Your details could not be loaded just now. Reload the page to try again.';
      });
      return null;
    });
  }

  function myself() {
    if (!member) return null;
    var cpso = String(member.me.member.cpso);
    return (member.group.members || []).filter(function (m) { return String(m.cpso) === cpso; })[0] || null;
  }

  function fillText(sel, text) { $$(sel).forEach(function (n) { n.textContent = text; }); }

  function renderMember() {
    var me = myself();
    var pip = member.group.pip || { state: 'none' };
    fillText('[data-qi-member-name]', member.me.member.name);
    fillText('[data-qi-group-name]', member.group.name);
    if (me) renderActivities(me, pip);
    renderPip(pip);
    renderStatus(member.group);
    renderSubmitted(pip);
  }

  function renderActivities(me, pip) {
    var done = 0;
    ACTIVITIES.forEach(function (a) {
      var state = (me.activities || {})[a[0]] || { done: false };
      if (state.done) done++;
      var box = $('[data-qi-activity="' + a[0] + '"]');
      if (!box) return;
      var stateEl = $('[data-qi-activity-state]', box);
      stateEl.textContent = state.done ? 'Done on ' + longDate(state.completed_on) : 'Not done yet';
      stateEl.className = 'qi-state ' + (state.done ? 'qi-state--done' : 'qi-state--todo');
      var date = $('input[name="completed_on"]', box);
      if (date && state.done && state.completed_on) date.value = String(state.completed_on).slice(0, 10);
      var undo = $('button[value="false"]', box);
      if (undo) undo.hidden = !state.done;
      var doBtn = $('button[value="true"]', box);
      if (doBtn) doBtn.textContent = state.done ? 'Change the date' : 'Mark ' + a[1] + ' as done';
      var locked = pip.state === 'submitted';
      $$('button, input', box).forEach(function (b) { if (b.type !== 'hidden') b.disabled = locked; });
    });
    fillText('[data-qi-progress]', 'You have done ' + done + ' of 4 activities.');
    $$('progress[data-qi-progress-bar]').forEach(function (p) { p.value = done; });
    $$('[data-qi-locked]').forEach(function (n) { n.hidden = pip.state !== 'submitted'; });
  }

  /* ------------------------------------------------------------ PIP --- */

  var pipStorage = {
    key: function () { return member ? 'qi:pip-draft:' + member.me.group_id : null; },
    read: function () {
      try { return JSON.parse(localStorage.getItem(pipStorage.key()) || 'null'); } catch (e) { return null; }
    },
    save: function (form) {
      var key = pipStorage.key();
      if (!key) return;
      try { localStorage.setItem(key, JSON.stringify({ saved_at: new Date().toISOString(), fields: formValues(form) })); } catch (e) { /* full or private */ }
    },
    clear: function () {
      var key = pipStorage.key();
      try { if (key) localStorage.removeItem(key); } catch (e) { /* ignore */ }
    }
  };

  function formValues(form) {
    var values = {};
    $$('input, textarea, select', form).forEach(function (f) {
      if (!f.name || f.type === 'hidden' || f.type === 'submit') return;
      if (f.type === 'radio' || f.type === 'checkbox') { if (f.checked) values[f.name] = f.value; }
      else if (f.value !== '') values[f.name] = f.value;
    });
    return values;
  }

  function goalCount(values) {
    var n = 0;
    Object.keys(values).forEach(function (k) {
      var m = /^goal_(\d+)_/.exec(k);
      if (m) n = Math.max(n, Number(m[1]));
    });
    return n;
  }

  function applyValues(form, values) {
    var rows = $('[data-qi-rows]', form);
    if (rows && rows.qiEnsureRows) rows.qiEnsureRows(goalCount(values));
    $$('input, textarea, select', form).forEach(function (f) {
      if (!f.name || f.type === 'hidden') return;
      var v = values[f.name];
      if (f.type === 'radio' || f.type === 'checkbox') f.checked = v === f.value;
      else f.value = v == null ? '' : v;
    });
  }

  function serverPipValues(pip) {
    var values = {};
    if (pip.strengths) values.strengths = pip.strengths;
    if (pip.improvements) values.improvements = pip.improvements;
    (pip.goals || []).forEach(function (g, i) {
      var n = i + 1;
      ['kind', 'aim', 'measure', 'baseline', 'target', 'target_date', 'change_ideas'].forEach(function (k) {
        if (g[k] != null && g[k] !== '') values['goal_' + n + '_' + k] = String(g[k]);
      });
    });
    return values;
  }

  function sameValues(a, b) {
    var ka = Object.keys(a).sort(), kb = Object.keys(b).sort();
    return ka.join() === kb.join() && ka.every(function (k) { return a[k] === b[k]; });
  }

  /* Goals counting toward the minimum of two: every practice goal, and at
     most one self-care goal. */
  function countGoals(values) {
    var practice = 0, selfCare = 0;
    for (var n = 1; n <= goalCount(values); n++) {
      var kind = values['goal_' + n + '_kind'];
      if (kind === 'practice') practice++;
      else if (kind === 'self_care') selfCare++;
    }
    return { practice: practice, selfCare: selfCare, counting: practice + Math.min(selfCare, 1) };
  }

  function goalsMessage(c) {
    if (c.counting >= 2) return null;
    if (c.selfCare >= 2) {
      return 'Add a practice-improvement goal: the plan needs at least two goals, and only one self-care goal counts toward the two. You have ' +
        c.selfCare + ' self-care goals, which count as one.';
    }
    return 'Add ' + (2 - c.counting === 1 ? 'one more goal' : 'two goals') +
      ': the plan needs at least two goals that count (any practice-improvement goals, and at most one self-care goal). Goals that count now: ' + c.counting + '.';
  }

  var pipLoaded = false;
  function renderPip(pip) {
    var form = $('form[data-qi-form="pip"]');
    if (!form) return;
    var submitted = pip.state === 'submitted';
    if (!pipLoaded) {
      pipLoaded = true;
      var server = serverPipValues(pip);
      applyValues(form, server);
      var local = pipStorage.read();
      if (!submitted && local && local.fields && !sameValues(local.fields, server)) {
        applyValues(form, local.fields);
        showRestored(form, server);
      }
      form.addEventListener('input', onPipInput);
      form.addEventListener('change', onPipInput);
      form.addEventListener('qi:rows', onPipInput);
    }
    $$('[data-qi-pip-state]').forEach(function (n) {
      n.textContent = submitted
        ? 'Submitted on ' + longDate(pip.submitted_on) + '.'
        : pip.state === 'draft' ? 'Draft saved; not submitted yet.' : 'Not started: nothing saved yet.';
    });
    $$('[data-qi-pip-open]').forEach(function (n) { n.hidden = submitted; });
    if (submitted) {
      $$('input, textarea, select, button', form).forEach(function (f) { f.disabled = true; });
    }
    var missingBox = $('[data-qi-pip-missing]');
    if (missingBox) {
      missingBox.innerHTML = '';
      var missing = pip.missing || [];
      if (!submitted && missing.length) {
        missingBox.appendChild(el('p', {}, 'Activities still to do:'));
        missingBox.appendChild(missingList(missing));
      } else if (!submitted) {
        missingBox.appendChild(el('p', {}, 'Every member has finished all four activities.'));
      }
    }
    updateGoalNote(form);
  }

  /* Missing activities grouped by member: "Dr. B: Practice Profile, Data-Driven QI". */
  function missingList(missing) {
    var byMember = {};
    var order = [];
    missing.forEach(function (m) {
      var who = m.name || ('CPSO ' + m.cpso);
      if (!byMember[who]) { byMember[who] = []; order.push(who); }
      byMember[who].push(activityLabel(m.activity));
    });
    var ul = el('ul');
    order.forEach(function (who) { ul.appendChild(el('li', {}, who + ': ' + byMember[who].join(', '))); });
    return ul;
  }

  function updateGoalNote(form) {
    var note = $('[data-qi-goal-count]');
    if (!note) return;
    var c = countGoals(formValues(form));
    var msg = goalsMessage(c);
    note.textContent = msg || ('Goals that count toward the minimum of two: ' + c.counting + '. That is enough.');
  }

  var pipTimer = null;
  function onPipInput(e) {
    var form = e.currentTarget.closest ? (e.currentTarget.closest('form') || e.currentTarget) : e.currentTarget;
    clearTimeout(pipTimer);
    pipTimer = setTimeout(function () {
      pipStorage.save(form);
      updateGoalNote(form);
    }, 250);
  }

  function showRestored(form, server) {
    var box = $('[data-qi-pip-restored]');
    if (!box) return;
    box.hidden = false;
    box.innerHTML = '';
    box.appendChild(el('p', {}, 'We restored changes you made in this browser that are not saved yet. Save the draft to share them with your group.'));
    var discard = el('button', { type: 'button', 'class': 'qi-secondary' }, 'Discard these changes');
    discard.addEventListener('click', function () {
      pipStorage.clear();
      applyValues(form, server);
      box.hidden = true;
      updateGoalNote(form);
      announce('Unsaved changes discarded.');
      var first = $('textarea, input', form);
      if (first) first.focus();
    });
    box.appendChild(discard);
  }

  function enhancePipForm(form) {
    form.qiExtraValidate = function (submitter) {
      if (!submitter || submitter.value !== 'submit') return [];
      var msg = goalsMessage(countGoals(formValues(form)));
      return msg ? [{ field: 'goals', message: msg }] : [];
    };
  }

  /* --------------------------------------------------------- status --- */

  function renderStatus(group) {
    var box = $('[data-qi-status]');
    if (!box) return;
    box.innerHTML = '';
    var pip = group.pip || { state: 'none' };
    var table = el('table', { 'class': 'qi-table' });
    table.appendChild(el('caption', {}, 'Activities and CPD credits of each member of ' + (group.name || 'your group')));
    var head = el('tr');
    head.appendChild(el('th', { scope: 'col' }, 'Member'));
    ACTIVITIES.forEach(function (a) { head.appendChild(el('th', { scope: 'col' }, a[1])); });
    head.appendChild(el('th', { scope: 'col' }, 'CPD credits'));
    var thead = el('thead');
    thead.appendChild(head);
    table.appendChild(thead);
    var tbody = el('tbody');
    (group.members || []).forEach(function (m) {
      var tr = el('tr');
      tr.appendChild(el('th', { scope: 'row' }, m.name + (m.role === 'lead' ? ' (lead)' : '')));
      ACTIVITIES.forEach(function (a) {
        var s = (m.activities || {})[a[0]] || {};
        var td = el('td');
        td.appendChild(el('span', { 'class': s.done ? 'qi-done' : 'qi-not-done' }, s.done ? 'Done' : 'Not done'));
        if (s.done && s.completed_on) {
          td.appendChild(document.createTextNode(' '));
          td.appendChild(el('span', { 'class': 'qi-date' }, String(s.completed_on).slice(0, 10)));
        }
        tr.appendChild(td);
      });
      var credits = (m.credits && m.credits.total) || 0;
      tr.appendChild(el('td', {}, String(credits)));
      tbody.appendChild(tr);
    });
    table.appendChild(tbody);
    var scroll = el('div', { 'class': 'qi-table-scroll', role: 'region', 'aria-label': 'Group progress table', tabindex: '0' });
    scroll.appendChild(table);
    box.appendChild(scroll);

    box.appendChild(el('h2', {}, 'Group Practice Improvement Plan'));
    var dl = el('dl', { 'class': 'qi-summary-list' });
    function row(term, value) {
      dl.appendChild(el('dt', {}, term));
      var dd = el('dd', {}, typeof value === 'string' ? value : null);
      if (typeof value !== 'string') dd.appendChild(value);
      dl.appendChild(dd);
    }
    row('State', pip.state === 'submitted' ? 'Submitted' : pip.state === 'draft' ? 'Draft, not submitted' : 'Not started');
    if (pip.state === 'submitted') {
      row('Submitted on', longDate(pip.submitted_on));
      row('Quality requirement met until', longDate(pip.requirement_met_until) +
        ' for every member of the group (five years from submission)');
    } else {
      var missing = pip.missing || [];
      row('Activities still to do', missing.length ? missingList(missing) : 'None: every member has finished all four.');
      row('Goals that count', String(pip.counting_goals || 0) + ' of the 2 needed (at most one self-care goal counts)');
    }
    box.appendChild(dl);

    var credits = el('h2', {}, 'CPD credits you may claim');
    var me = myself();
    if (me && me.credits && me.credits.items) {
      box.appendChild(credits);
      var ul = el('ul');
      me.credits.items.forEach(function (i) { ul.appendChild(el('li', {}, i.label + ': ' + i.credits)); });
      if (!me.credits.items.length) ul.appendChild(el('li', {}, 'None yet: credits follow completed activities and the submitted plan.'));
      box.appendChild(ul);
      box.appendChild(el('p', {}, 'Total: ' + me.credits.total + ' credits.'));
    }
  }

  function renderSubmitted(pip) {
    $$('[data-qi-met-until]').forEach(function (n) {
      if (pip.state === 'submitted') {
        n.textContent = 'Your group submitted its plan on ' + longDate(pip.submitted_on) +
          '. The quality requirement of every member is met until ' + longDate(pip.requirement_met_until) + '.';
        n.hidden = false;
      }
    });
  }

  /* --------------------------------------------- sign-up confirmation --- */

  function showLeadLink(box) {
    var link = null;
    try { link = sessionStorage.getItem('qi:lead-link'); sessionStorage.removeItem('qi:lead-link'); } catch (e) { link = null; }
    if (!link) return;
    var a = $('a[data-qi-lead-href]', box);
    if (a) a.setAttribute('href', link);
    box.hidden = false;
  }

  /* ----------------------------------------------------------- start --- */

  function start() {
    document.documentElement.classList.add('qi-js');
    $$('[data-qi-rows]').forEach(enhanceRows);
    $$('form[data-qi-form="pip"]').forEach(enhancePipForm);
    $$('form[data-qi-form]').forEach(enhanceForm);
    $$('input[data-qi-check="past-date"]').forEach(function (f) { f.max = today(); });
    $$('[data-qi-lead-link]').forEach(showLeadLink);
    var saved = /[?&]saved=([a-z_]+)/.exec(window.location.search);
    if (saved) {
      var note = $('[data-qi-saved-note]');
      if (note) { note.textContent = activityLabel(saved[1]) + ': your change was saved.'; note.hidden = false; }
    }
    if ($('[data-qi-member]')) loadMember();
  }

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
