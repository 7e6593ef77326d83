// 2. The journey with JavaScript turned off: every form is a plain POST
// answered by a redirect (to a site page, or back to the server's pages
// /api/me/group, /api/me/pip and /api/me/activities) or, refused, by the
// same form again from the server: every answer kept, "Error:" in the
// title, the problems listed in form order and each beside its field. The lead proposes a group of
// four, signs in from the emailed link and confirms; two peers accept and one
// declines; the three members check off, write and submit the plan. Also: a
// second proposal by a lead already in an open group cannot be confirmed
// (and is discarded); a number nobody invited; signing out; a new link.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, person, url, cpsoBlock, makeGroup, makePeer, fillSignUp, linkFor, daysAgo, ACTIVITIES, CHECK_YOUR_EMAIL,
  SAME_ANSWER, plain, outbox, outboxMark, mailsSince, mailTo, signInWith, meStatus, sessionCookie, apiSignUp,
  apiFormGroup, codeOf, fillDate, dateValue, dateParts, longDate, doneButton, notDoneButton, activitySection, activityTag,
  summaryLinks, h1,
} from './helpers.js';

const ids = cpsoBlock(2);

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/* Click a submit button and return the response to the form's POST. */
async function submit(page, selector) {
  const target = typeof selector === 'string' ? page.locator(selector) : selector;
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && r.request().isNavigationRequest()),
    target.click(),
  ]);
  await page.waitForLoadState('load');
  return response;
}

/* A form the server refused: the same page with "There is a problem" at
   the top, the title starting "Error:", and each message beside its field.
   Returns the summary's text. */
async function assertRefusedForm(page, response, status, title) {
  assert.equal(response.status(), status, `the server answers ${status}`);
  assert.match(response.headers()['content-type'] || '', /text\/html/);
  assert.equal(await page.locator('h1').count(), 1, 'the page has one h1');
  assert.match(await page.title(), title);
  const summary = page.locator('[data-qi-error-summary]');
  assert.equal(await summary.count(), 1, 'one error summary');
  assert.match(await summary.locator('h2').innerText(), /^There is a problem$/);
  const targets = (await summaryLinks(page)).map((l) => l.href);
  for (const href of targets) assert.equal(await page.locator(href).count(), 1, `the summary's link ${href} leads to a field`);
  // The links follow the order of their fields on the page.
  const ordered = await page.evaluate((hrefs) => hrefs.every((h, i) => i === 0 ||
    (document.querySelector(hrefs[i - 1]).compareDocumentPosition(document.querySelector(h)) & Node.DOCUMENT_POSITION_FOLLOWING)), targets);
  assert.ok(ordered, `the errors are listed in form order: ${targets}`);
  // A problem with a field is also said beside it (a problem that is not a
  // field's, such as an activity still to do, links to where it is shown).
  const fields = await page.evaluate((hrefs) => hrefs.filter((h) => document.querySelector(h).closest('form')), targets);
  if (fields.length) assert.ok(await page.locator('form .qi-error-message').count() >= 1, `messages beside the fields ${fields}`);
  return summary.innerText();
}

async function fillGoal(page, n, kind) {
  await page.check(`#goal_${n}_kind-${kind}`);
  await page.fill(`#goal_${n}_aim`, `Goal ${n}: every patient on an opioid has a treatment agreement`);
  await page.fill(`#goal_${n}_measure`, 'Patients on opioids with an agreement in the chart');
  await page.fill(`#goal_${n}_baseline`, '30%');
  await page.fill(`#goal_${n}_target`, '90%');
  await fillDate(page, `goal_${n}_target_date`, '2027-03-31');
  await page.fill(`#goal_${n}_change_ideas`, 'Flag in the EMR; review at each renewal');
}

const button = (page, name) => page.getByRole('button', { name, exact: true });

test('the journey works with JavaScript turned off', async () => {
  const g = makeGroup(ids, 'nojs', 3);
  const lead = await person(browser, { js: false });
  const page = lead.page;

  // Sign-up: six empty peer rows, all visible; no lead email.
  await page.goto(url('/groups/sign-up/'));
  assert.equal(await page.locator('#peers [data-qi-row]').count(), 6, 'six peer rows without JavaScript');
  for (let n = 1; n <= 6; n++) assert.ok(await page.isVisible(`#peer_${n}_email`), `peer ${n} row is visible`);
  assert.equal(await page.locator('[name="lead_email"]').count(), 0, 'there is no lead email field');
  const hp = await page.locator('#website').boundingBox();
  assert.ok(!hp || hp.x + hp.width <= 0 || hp.width <= 1, `the honeypot is off screen (${JSON.stringify(hp)})`);
  assert.equal(await page.getAttribute('#website', 'tabindex'), '-1', 'the honeypot is out of the tab order');

  // An incomplete form: the same form again from the server, every answer
  // kept, the problems listed in form order, "Error:" in the title.
  await page.fill('#lead_cpso', '12ab');
  await page.fill('#lead_name', 'Dr. Lead Typo');
  await page.check('#lead_language-fr');
  await page.fill('#practice_setting', 'Clinic, Kenora');
  await page.fill('#peer_1_cpso', '555');
  await page.fill('#peer_1_name', 'Dr. Peer Whole');
  await page.fill('#peer_1_email', 'whole@example.org');
  await page.selectOption('#peer_1_language', 'fr');
  await page.fill('#peer_2_name', 'Dr. Half Row');
  await page.fill('#peer_3_email', 'broken@');
  let res = await submit(page, '#sign-up-form button[type="submit"]');
  await assertRefusedForm(page, res, 400, /^Error: Form a QI Group – QI Groups$/);
  assert.equal(page.url(), url('/api/groups'), 'the answer to the post, at its own address');
  const errors = await summaryLinks(page);
  assert.deepEqual(errors.map((e) => e.href), ['#lead_cpso', '#group_name', '#peer_2_cpso', '#peer_2_email', '#peer_3_cpso', '#peer_3_name', '#peer_3_email'],
    `the problems, in form order: ${JSON.stringify(errors)}`);
  assert.match(errors[0].text, /CPSO number/);
  for (const [sel, value] of [['#lead_cpso', '12ab'], ['#lead_name', 'Dr. Lead Typo'], ['#practice_setting', 'Clinic, Kenora'],
    ['#peer_1_cpso', '555'], ['#peer_1_name', 'Dr. Peer Whole'], ['#peer_1_email', 'whole@example.org'], ['#peer_2_name', 'Dr. Half Row'],
    ['#peer_3_email', 'broken@'], ['#group_name', '']]) {
    assert.equal(await page.inputValue(sel), value, `${sel} keeps its answer`);
  }
  assert.ok(await page.isChecked('#lead_language-fr'), 'the chosen language is kept');
  assert.equal(await page.inputValue('#peer_1_language'), 'fr', 'the peer\'s language is kept');
  assert.equal(await page.getAttribute('#peer_1_cpso', 'aria-invalid'), null, 'a good answer is not flagged');

  // The real proposal: 303 to "check your email"; no cookie; one email, to the lead on file.
  await page.goto(url('/groups/sign-up/'));
  await fillSignUp(page, g, { js: false });
  let mark = await outboxMark();
  res = await submit(page, '#sign-up-form button[type="submit"]');
  assert.equal(res.status(), 303);
  assert.equal(page.url(), url(CHECK_YOUR_EMAIL));
  assert.equal(await h1(page), 'Check your email');
  assert.ok(plain(await page.locator('main').innerText()).includes(SAME_ANSWER));
  assert.equal(await sessionCookie(lead.context), undefined, 'a sign-up signs nobody in');
  let sent = await mailsSince(mark);
  assert.equal(sent.length, 1, 'one email');
  assert.equal(mailTo(sent, g.lead.email).length, 1, 'to the lead\'s address on file');

  // The lead signs in (a plain form on the sign-in page) and confirms.
  await signInWith(page, await linkFor(g.lead.email, mark), '/api/me/group');
  const cookie = await sessionCookie(lead.context);
  assert.ok(cookie && cookie.httpOnly, 'the lead holds an HttpOnly session cookie');
  assert.equal(await h1(page), 'Review your group\'s proposal');
  mark = await outboxMark();
  res = await submit(page, button(page, 'Confirm and invite the peers'));
  assert.equal(res.status(), 303);
  assert.equal(page.url(), url('/api/me/group?done=confirmed'));
  assert.equal(await page.locator('[role="status"]').count(), 1, 'a notice says what was done');
  const invitations = {};
  for (const p of g.peers) invitations[p.email] = await linkFor(p.email, mark);

  // A second proposal by the same lead, who is now in an open group: it
  // cannot be confirmed; the lead discards it; its link stops working.
  const again = { lead: g.lead, group: { name: 'Group nojs-again', setting: g.group.setting }, peers: [makePeer(ids, 'nojs-again', 1)] };
  mark = await outboxMark();
  await apiSignUp(again);
  const againLink = await linkFor(g.lead.email, mark);
  const second = await person(browser, { js: false });
  await signInWith(second.page, againLink, '/api/me/group');
  // The page says so before the lead tries, and offers no Confirm button.
  assert.match(await second.page.locator('main').innerText(), /You cannot confirm this proposal now: you are already a member of another open QI group/);
  assert.equal(await button(second.page, 'Confirm and invite the peers').count(), 0, 'no Confirm button');
  res = await submit(second.page, button(second.page, 'Discard this proposal'));
  assert.equal(res.status(), 303);
  assert.equal(second.page.url(), url('/me/signed-out/?discarded=1'));
  assert.equal(await meStatus(second.context), 401, 'discarding signs out');
  res = await second.page.goto(againLink);
  assert.equal(res.status(), 401, 'the discarded proposal\'s link is not valid');
  await second.context.close();

  // Peers open their invitations: two accept, the third declines.
  const members = [lead];
  for (const [i, p] of g.peers.entries()) {
    const m = await person(browser, { js: false });
    await signInWith(m.page, invitations[p.email], '/api/me/group');
    assert.equal(await h1(m.page), 'Respond to your invitation');
    mark = await outboxMark();
    if (i < 2) {
      res = await submit(m.page, button(m.page, 'Accept the invitation'));
      assert.equal(res.status(), 303);
      assert.equal(m.page.url(), url('/api/me/group?done=accepted'));
      members.push(m);
    } else {
      res = await submit(m.page, button(m.page, 'Decline the invitation'));
      assert.equal(res.status(), 303);
      assert.equal(m.page.url(), url('/me/signed-out/?declined=1'));
      assert.equal(await h1(m.page), 'You are signed out');
      assert.equal(await meStatus(m.context), 401, 'declining signs out');
      await m.context.close();
    }
    assert.equal(mailTo(await mailsSince(mark), g.lead.email).length, 1, 'the lead is told by email');
  }
  const declined = g.peers[2];

  // Check-offs by plain form posts on /api/me/activities; the last member leaves one out.
  const date = daysAgo(4);
  for (const [i, m] of members.entries()) {
    for (const a of ACTIVITIES) {
      if (i === 2 && a === 'chart_review') continue;
      await m.page.goto(url('/api/me/activities'));
      await fillDate(m.page, `completed_on-${a}`, date);
      res = await submit(m.page, doneButton(m.page, a));
      assert.equal(res.status(), 303, `check-off ${a} redirects`);
      assert.equal(m.page.url(), url(`/api/me/activities?saved=${a}&as=done#activity-${a}`));
      assert.match(await m.page.locator('.qi-notification--success').innerText(), /Saved\s+.* is marked as done\./);
      assert.equal(await activityTag(m.page, a), 'Done');
    }
  }
  // Un-checking needs no date; then check it off again.
  await page.goto(url('/api/me/activities'));
  res = await submit(page, notDoneButton(page, 'practice_profile'));
  assert.equal(res.status(), 303, 'un-check redirects');
  assert.match(page.url(), /\/api\/me\/activities\?saved=practice_profile&as=[a-z_]+#activity-practice_profile$/);
  assert.match(await page.locator('.qi-notification--success').innerText(), /Practice Profile is marked as not done\./);
  await page.goto(url('/api/me/status'));
  assert.match(await page.locator('tbody tr').first().innerText(), /Not started/, 'the un-checked activity shows as not started');
  await page.goto(url('/api/me/activities'));
  await fillDate(page, 'completed_on-practice_profile', date);
  res = await submit(page, doneButton(page, 'practice_profile'));
  assert.equal(res.status(), 303);

  // A date in the future, and one that does not exist: the same page, the answer kept.
  for (const [d, re] of [[{ day: '1', month: '1', year: '2999' }, /future/i], [{ day: '31', month: '2', year: '2026' }, /Enter a real date/]]) {
    await page.goto(url('/api/me/activities'));
    await fillDate(page, 'completed_on-qi_survey', d);
    res = await submit(page, doneButton(page, 'qi_survey'));
    await assertRefusedForm(page, res, 400, /^Error: My activities/);
    assert.deepEqual((await summaryLinks(page)).map((e) => e.href), ['#completed_on-qi_survey-day']);
    assert.match(await activitySection(page, 'qi_survey').locator('.qi-error-message').innerText(), re);
    assert.deepEqual(await dateValue(page, 'completed_on-qi_survey'), d, 'the date typed is kept');
  }

  // The plan, on the server's page: what is missing, which member, which activity.
  await page.goto(url('/api/me/pip'));
  assert.equal(await page.locator('h1').count(), 1);
  assert.equal(await page.inputValue('#strengths'), '', 'nothing saved yet');
  assert.match(await page.locator('#activities').innerText(), new RegExp(`${g.peers[1].name} \\(Self-Guided Chart Review\\)`), 'what is missing: which member, which activity');

  // The plan is refused while an activity is missing; the answers stay.
  await page.fill('#strengths', 'Team-based care; same-day access.');
  await page.fill('#improvements', 'Opioid agreements; diabetes follow-up.');
  await fillGoal(page, 1, 'practice');
  await fillGoal(page, 2, 'practice');
  res = await submit(page, 'button[value="submit"]');
  const refused = await assertRefusedForm(page, res, 409, /^Error: /);
  assert.match(refused, new RegExp(g.peers[1].name));
  assert.match(refused, /Chart Review/);
  assert.equal(await page.inputValue('#strengths'), 'Team-based care; same-day access.', 'the answers are kept');
  assert.equal(await page.inputValue('#goal_2_measure'), 'Patients on opioids with an agreement in the chart');
  assert.deepEqual(await dateValue(page, 'goal_2_target_date'), { day: '31', month: '3', year: '2027' });
  assert.ok(await page.isChecked('#goal_2_kind-practice'));

  // Save the draft instead: back to the plan page, which shows it.
  await page.check('#goal_1_kind-self_care');
  await page.check('#goal_2_kind-self_care');
  res = await submit(page, 'button[value="save"]');
  assert.equal(res.status(), 303);
  assert.equal(page.url(), url('/api/me/pip?saved=1'));
  assert.match(await page.locator('.qi-notification--success').innerText(), /Saved/);

  // Another member without JavaScript opens the plan and sees the saved draft.
  const other = members[1].page;
  await other.goto(url('/api/me/pip'));
  assert.equal(await other.inputValue('#strengths'), 'Team-based care; same-day access.');
  assert.equal(await other.inputValue('#improvements'), 'Opioid agreements; diabetes follow-up.');
  assert.ok(await other.isChecked('#goal_2_kind-self_care'), 'goal 2 kind is kept');
  assert.deepEqual(await dateValue(other, 'goal_2_target_date'), { day: '31', month: '3', year: '2027' });
  assert.equal(await other.inputValue('#goal_3_aim'), '', 'empty rows to add goals');

  // The last activity, from the task list's link.
  const last = members[2].page;
  await last.goto(url('/api/me'));
  assert.match(await last.locator('main').innerText(), /You have completed 3 of 4 activities\./);
  await last.locator('a.qi-task__name', { hasText: 'Self-Guided Chart Review' }).click();
  await last.waitForURL(url('/api/me/activities#activity-chart_review'));
  assert.deepEqual(await dateValue(last, 'completed_on-qi_survey'), dateParts(date), 'the saved date is shown');
  await fillDate(last, 'completed_on-chart_review', date);
  res = await submit(last, doneButton(last, 'chart_review'));
  assert.equal(res.status(), 303);
  assert.equal(last.url(), url('/api/me/activities?saved=chart_review&as=done#activity-chart_review'));
  assert.match(await last.locator('main').innerText(), /You have completed 4 of 4 activities\./);

  // Two self-care goals only are refused, with the reason: the saved draft is
  // submitted as it is, no retyping.
  await page.goto(url('/api/me/pip'));
  assert.equal((await page.locator('#activities .qi-task').first().locator('.qi-tag').innerText()).trim(), 'Done');
  res = await submit(page, 'button[value="submit"]');
  assert.match(await assertRefusedForm(page, res, 400, /^Error: /), /self-care/i);

  // Now a valid plan: goal 2 becomes a practice goal, a third is added; submitted.
  await page.goto(url('/api/me/pip'));
  assert.equal(await page.inputValue('#goal_1_measure'), 'Patients on opioids with an agreement in the chart');
  await page.check('#goal_2_kind-practice');
  await fillGoal(page, 3, 'practice');
  res = await submit(page, 'button[value="submit"]');
  assert.equal(res.status(), 303);
  assert.equal(page.url(), url('/api/me/pip?submitted=1'));
  assert.equal(await page.locator('.qi-panel--confirmation h1').innerText(), 'Plan submitted');
  const submitted = await page.locator('main').innerText();
  assert.match(submitted, /Reference: Group nojs, \d{1,2} [A-Z][a-z]+ \d{4}/);
  assert.match(submitted, new RegExp(`until \\d{1,2} [A-Z][a-z]+ ${new Date().getUTCFullYear() + 5}`));
  assert.match(submitted, /Goal 1: Goal 1: every patient on an opioid has a treatment agreement \(/, 'the credits say which goal earned them');
  assert.equal(await page.locator('main form#pip-form').count(), 0, 'the submitted plan is read-only');

  // The status view shows the dates and every member (not the one who
  // declined); the group page says who submitted.
  await members[1].page.goto(url('/api/me/status'));
  const status = await members[1].page.locator('main').innerText();
  const year = new Date().getUTCFullYear();
  assert.match(status, new RegExp(`${year + 5}`), 'requirement met until five years on');
  const cells = (await members[1].page.locator('tbody td[data-label]').allTextContents()).map((c) => c.replace(/\s+/g, ' ').trim());
  assert.ok(cells.includes(`Done ${longDate(date)}`), `dates written out: ${cells}`);
  for (const who of [g.lead, g.peers[0], g.peers[1]]) assert.ok(status.includes(who.name), `status lists ${who.name}`);
  assert.ok(!status.includes(declined.name), 'the peer who declined is not listed');
  assert.ok(await members[1].page.locator('table th[scope]').count() >= 5, 'a real table with header cells');
  await members[1].page.goto(url('/api/me/group'));
  const by = members[1].page.locator('dt', { hasText: 'Plan submitted by' });
  assert.equal(await by.count(), 1, 'the group page says who submitted the plan');
  assert.match(await by.locator('xpath=following-sibling::dd[1]').innerText(), new RegExp(`^${g.lead.name} on `));

  // Ask a QI Coach.
  await page.goto(url('/support/ask/'));
  await page.selectOption('#topic', 'pip_goals');
  await page.fill('#message', 'Can a goal be shared by two members with different baselines?');
  res = await submit(page, '#ask-form button[type="submit"]');
  assert.equal(page.url(), url('/support/ask/done/'));

  // Sign out: a plain form in the member bar.
  await page.goto(url('/api/me'));
  res = await submit(page, page.locator('.qi-member-bar').getByRole('button', { name: 'Sign out', exact: true }));
  assert.equal(res.status(), 303);
  assert.equal(page.url(), url('/me/signed-out/'));
  assert.equal(await meStatus(lead.context), 401, 'signed out');
  res = await page.goto(url('/api/me/activities'));
  assert.equal(res.status(), 200);
  assert.equal(plain(await h1(page)), 'Sign in to see your group', 'the member pages ask to sign in');
  assert.equal(await page.locator('main form').count(), 0, 'no form that cannot work');

  for (const m of members) await m.context.close();
});

test('without JavaScript: a number nobody invited, and a new link', async () => {
  const p = await person(browser, { js: false });
  const page = p.page;

  // Nobody invited this number: the same page, and no email.
  const stranger = makeGroup({ ...ids, lead: ids.uninvited }, 'nojs-uninvited');
  await page.goto(url('/groups/sign-up/'));
  await fillSignUp(page, stranger, { js: false });
  const before = (await outbox()).length;
  let res = await submit(page, '#sign-up-form button[type="submit"]');
  assert.equal(res.status(), 303);
  assert.equal(page.url(), url(CHECK_YOUR_EMAIL));
  assert.equal((await outbox()).length, before, 'no email was sent');

  // A new link: the form's shape is checked by the server's error page.
  const { g, links } = await apiFormGroup(makeGroup(ids, 'nojs-newlink'));
  await page.goto(url('/me/new-link/'));
  await page.fill('#cpso', 'abc');
  await page.fill('#email', 'broken@');
  res = await submit(page, '#new-link-form button[type="submit"]');
  const text = await assertRefusedForm(page, res, 400, /^Error: /);
  assert.match(text, /CPSO/);
  assert.match(text, /email/i);
  assert.deepEqual((await summaryLinks(page)).map((l) => l.href), ['#cpso', '#email']);
  assert.equal(await page.inputValue('#cpso'), 'abc', 'the answers are kept');
  assert.equal(await page.inputValue('#email'), 'broken@');
  // Good details: 303 to "check your email"; one email; the old link is no longer valid.
  await page.goto(url('/me/new-link/'));
  await page.fill('#cpso', g.peers[1].cpso);
  await page.fill('#email', g.peers[1].email);
  const mark = await outboxMark();
  res = await submit(page, '#new-link-form button[type="submit"]');
  assert.equal(res.status(), 303);
  assert.equal(page.url(), url('/me/new-link/sent/'));
  const fresh = await linkFor(g.peers[1].email, mark);
  assert.notEqual(codeOf(fresh), codeOf(links.peers[1]));
  res = await page.goto(links.peers[1]);
  assert.equal(res.status(), 401);
  assert.equal(await h1(page), 'This link is not valid or has been replaced');
  await signInWith(page, fresh, '/api/me');
  assert.equal(await meStatus(p.context), 200);
  await p.context.close();
});
