/* QI Groups member pages (My activities, Group PIP, Group status, Ask a
 * QI Coach): with JavaScript, show the signed-in member's own state from
 * GET /api/me and GET /api/groups/{id} (the session cookie travels with the
 * requests), and keep unsaved PIP edits in localStorage so a closed tab
 * loses nothing. A member who has not joined yet (a lead whose proposal
 * waits, an invited peer) or whose group is dissolved sees a panel linking
 * to their group page (/api/me/group) instead of the group's work. Needs
 * forms.js (window.QIForms); without JavaScript the pages link to the
 * server-rendered views at /api/me/group, /api/me/status, /api/me/pip (the
 * PIP form prefilled with the saved draft) and /api/me/activities.
 */
(function () {
  'use strict';

  var Q = window.QIForms;
  if (!Q) return;
  var $ = Q.$, $$ = Q.$$, el = Q.el, api = Q.api, announce = Q.announce, longDate = Q.longDate;
  var SUCCESS = Q.onSuccess;

  /* Names the pages and the server share, from the page's qi-facts data block
     (written by the generator from the qi-facts crate), never typed here. */
  var FACTS = (function () {
    var node = document.getElementById('qi-facts');
    try { return node ? JSON.parse(node.textContent) : {}; } catch (e) { return {}; }
  })();
  var ACTIVITIES = (FACTS.activities || []).map(function (a) { return [a.key, a.label]; });

  function stateLabel(key) {
    var states = FACTS.pip_states || [];
    for (var i = 0; i < states.length; i++) if (states[i].key === key) return states[i].label;
    return key;
  }

  function activityLabel(key) {
    for (var i = 0; i < ACTIVITIES.length; i++) if (ACTIVITIES[i][0] === key) return ACTIVITIES[i][1];
    return key;
  }

  SUCCESS.activity = function (form, data, submitter) {
    var key = form.elements.activity.value;
    var undone = submitter && submitter.value === 'false';
    announce(activityLabel(key) + (undone ? ' marked as not done.' : ' marked as done.'));
    loadMember();
  };

  SUCCESS.pip = function (form, data, submitter) {
    if (submitter && submitter.value === 'submit') {
      pipStorage.clear();
      SUCCESS.navigate(form);
      return;
    }
    pipStorage.save(form);
    setDraftVersion(data && data.draft_version);
    var note = $('[data-qi-pip-saved]');
    if (note) {
      note.textContent = 'Draft saved at ' + new Date().toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) +
        '. Everyone in your group sees this draft.';
      note.hidden = false;
    }
    announce('Draft saved.');
    loadMember();
  };

  /* ------------------------------------------------- member pages ------ */

  var member = null; /* { me, group } once loaded */

  function showSignedIn(signedIn) {
    $$('[data-qi-signed-in]').forEach(function (n) { n.hidden = !signedIn; });
    $$('[data-qi-signed-out]').forEach(function (n) { n.hidden = signedIn; });
  }

  /* Which panel a member who cannot work in the group yet sees, or null
     when they are an accepted member of a working group. GET /api/me gives
     group.phase (proposed | confirmed | formed | submitted | dissolved) and
     member.status (proposed | invited | accepted). */
  function pendingPanel(me) {
    var phase = me.group && me.group.phase;
    var status = me.member && me.member.status;
    if (phase === 'dissolved') return 'dissolved';
    if (phase === 'proposed') return me.member && me.member.role === 'lead' ? 'review' : 'other';
    if (status === 'invited') return 'respond';
    if (status && status !== 'accepted') return 'other';
    return null;
  }

  function showPending(me, panel) {
    fillText('[data-qi-member-name]', (me.member && me.member.name) || '');
    fillText('[data-qi-group-name]', (me.group && me.group.name) || '');
    $$('[data-qi-work]').forEach(function (n) { n.hidden = true; });
    $$('[data-qi-pending]').forEach(function (n) { n.hidden = n.getAttribute('data-qi-pending') !== panel; });
  }

  function loadMember() {
    return api('GET', '/api/me').then(function (res) {
      if (res.status === 401) {
        /* The check-off forms cannot work until the member signs in. */
        showSignedIn(false);
        $$('[data-qi-work]').forEach(function (n) { n.hidden = true; });
        return null;
      }
      if (!res.ok || !res.data) throw new Error('me ' + res.status);
      var me = res.data;
      var panel = pendingPanel(me);
      if (panel) {
        member = null;
        showSignedIn(true);
        showPending(me, panel);
        return null;
      }
      $$('[data-qi-waiting]').forEach(function (n) { n.hidden = !(me.group && me.group.phase === 'confirmed'); });
      return loadDraftVersion().then(function () {
        return api('GET', '/api/groups/' + encodeURIComponent(me.group_id));
      }).then(function (g) {
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

  /* The draft version the PIP form was loaded from, sent with a submission
     so that the server refuses it (409) if another member saved meanwhile.
     Read before the draft itself, so a save in between can only make the
     check refuse, never let an overwrite through. */
  function setDraftVersion(v) {
    $$('input[data-qi-draft-version]').forEach(function (i) { i.value = v == null ? '' : String(v); });
  }

  var draftVersionLoaded = false;
  function loadDraftVersion() {
    /* Once only: after that, each save's answer carries the new version
       (a later reload must not adopt a version whose draft is not shown). */
    if (draftVersionLoaded || !$('input[data-qi-draft-version]')) return Promise.resolve();
    draftVersionLoaded = true;
    return api('GET', '/api/me/pip').then(function (res) {
      setDraftVersion(res.ok && res.data ? res.data.draft_version : null);
    }, function () { setDraftVersion(null); });
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
    row('State', stateLabel(pip.state || 'none'));
    if (pip.state === 'submitted') {
      row('Submitted on', longDate(pip.submitted_on));
      if (pip.submitted_by) row('Submitted by', pip.submitted_by);
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


  /* ----------------------------------------------------------- start --- */

  $$('form[data-qi-form="pip"]').forEach(enhancePipForm);
  var saved = /[?&]saved=([a-z_]+)/.exec(window.location.search);
  if (saved) {
    var note = $('[data-qi-saved-note]');
    if (note) { note.textContent = activityLabel(saved[1]) + ': your change was saved.'; note.hidden = false; }
  }
  /* Signing out of a shared computer also forgets unsaved plan drafts. */
  $$('form[action$="/api/access/logout"], form[action$="/api/access/logout-everywhere"]').forEach(function (f) {
    f.addEventListener('submit', function () {
      try {
        Object.keys(localStorage).forEach(function (k) { if (k.indexOf('qi:pip-draft:') === 0) localStorage.removeItem(k); });
      } catch (e) { /* storage unavailable */ }
    });
  });
  // Forms that must not be used without JavaScript (the PIP form would start
  // empty and overwrite the saved draft) are hidden in the page until now.
  $$('[data-qi-needs-js]').forEach(function (n) { n.hidden = false; });
  if ($('[data-qi-member]')) loadMember();
})();
