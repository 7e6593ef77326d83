// 2. The journey with JavaScript turned off: every form is a plain POST
// answered by a redirect (to a site page, or back to the server's pages
// /api/me/group, /api/me/pip and /api/me/activities) or by the server's HTML
// error page listing each problem by field. The lead proposes a group of
// four, signs in from the emailed link and confirms; two peers accept and one
// declines; the three members check off, write and submit the plan. Also: a
// second proposal by a lead already in an open group cannot be confirmed
// (and is discarded); a number nobody invited; signing out; a new link.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, person, url, cpsoBlock, makeGroup, makePeer, fillSignUp, linkFor, daysAgo, ACTIVITIES, CHECK_YOUR_EMAIL,
  SAME_ANSWER, plain, outbox, outboxMark, mailsSince, mailTo, signInWith, meStatus, sessionCookie, apiSignUp,
  apiFormGroup, codeOf,
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

async function assertErrorPage(page, response, status, patterns) {
  assert.equal(response.status(), status, `the server answers ${status}`);
  assert.match(response.headers()['content-type'] || '', /text\/html/);
  assert.equal(await page.locator('h1').count(), 1, 'the error page has one h1');
  const text = await page.locator('body').innerText();
  for (const re of patterns) assert.match(text, re);
  assert.ok(await page.locator('a[href]').count() >= 1, 'the error page links back');
  return text;
}

/* Follow a link inside <noscript>. Chromium with scripting disabled by
   Playwright does not render <noscript> (a real browser without JavaScript
   shows it), so read the link from its markup, then open it. */
async function followNoscriptLink(page, text) {
  const notes = (await page.locator('noscript').evaluateAll((ns) => ns.map((n) => n.innerHTML).join('\n')))
    .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');
  const m = notes.match(new RegExp(`<a href="([^"]+)">${text}</a>`));
  assert.ok(m, `the <noscript> note links "${text}"`);
  await page.goto(url(m[1]));
}

async function fillGoal(page, n, kind) {
  await page.check(`#goal_${n}_kind-${kind}`);
  await page.fill(`#goal_${n}_aim`, `Goal ${n}: every patient on an opioid has a treatment agreement`);
  await page.fill(`#goal_${n}_measure`, 'Patients on opioids with an agreement in the chart');
  await page.fill(`#goal_${n}_baseline`, '30%');
  await page.fill(`#goal_${n}_target`, '90%');
  await page.fill(`#goal_${n}_target_date`, '2027-03-31');
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

  // An incomplete form: the server's error page lists each problem by field.
  await page.fill('#lead_cpso', '12ab');
  await page.fill('#peer_2_name', 'Dr. Half Row');
  let res = await submit(page, '#sign-up-form button[type="submit"]');
  const text = await assertErrorPage(page, res, 400, [/CPSO/i, /name/i, /email/i]);
  assert.match(text, /peer 2/i, 'the half-filled peer row is named');

  // The real proposal: 303 to "check your email"; no cookie; one email, to the lead on file.
  await page.goto(url('/groups/sign-up/'));
  await fillSignUp(page, g, { js: false });
  let mark = await outboxMark();
  res = await submit(page, '#sign-up-form button[type="submit"]');
  assert.equal(res.status(), 303);
  assert.equal(page.url(), url(CHECK_YOUR_EMAIL));
  assert.equal(await page.locator('h1').innerText(), 'Check your email');
  assert.ok(plain(await page.locator('main').innerText()).includes(SAME_ANSWER));
  assert.equal(await sessionCookie(lead.context), undefined, 'a sign-up signs nobody in');
  let sent = await mailsSince(mark);
  assert.equal(sent.length, 1, 'one email');
  assert.equal(mailTo(sent, g.lead.email).length, 1, 'to the lead\'s address on file');

  // The lead signs in (a plain form on the sign-in page) and confirms.
  await signInWith(page, await linkFor(g.lead.email, mark), '/api/me/group');
  const cookie = await sessionCookie(lead.context);
  assert.ok(cookie && cookie.httpOnly, 'the lead holds an HttpOnly session cookie');
  assert.equal(await page.locator('h1').innerText(), 'Review your group\'s proposal');
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
    assert.equal(await m.page.locator('h1').innerText(), 'Respond to your invitation');
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
      assert.equal(await m.page.locator('h1').innerText(), 'You are signed out');
      assert.equal(await meStatus(m.context), 401, 'declining signs out');
      await m.context.close();
    }
    assert.equal(mailTo(await mailsSince(mark), g.lead.email).length, 1, 'the lead is told by email');
  }
  const declined = g.peers[2];

  // Check-offs by plain form posts; the last member leaves one out.
  const date = daysAgo(4);
  for (const [i, m] of members.entries()) {
    for (const a of ACTIVITIES) {
      if (i === 2 && a === 'chart_review') continue;
      await m.page.goto(url('/me/'));
      await m.page.fill(`#completed_on-${a}`, date);
      res = await submit(m.page, `[data-qi-activity="${a}"] button[value="true"]`);
      assert.equal(res.status(), 303, `check-off ${a} redirects`);
      assert.equal(m.page.url(), url(`/me/?saved=${a}`));
    }
  }
  // Un-checking needs no date; then check it off again.
  await page.goto(url('/me/'));
  res = await submit(page, '[data-qi-activity="practice_profile"] button[value="false"]');
  assert.equal(res.status(), 303, 'un-check redirects');
  await page.goto(url('/api/me/status'));
  assert.match(await page.locator('tbody tr').first().innerText(), /Not done/, 'the un-checked activity shows as not done');
  await page.goto(url('/me/'));
  await page.fill('#completed_on-practice_profile', date);
  res = await submit(page, '[data-qi-activity="practice_profile"] button[value="true"]');
  assert.equal(res.status(), 303);

  // A date in the future: the server's error page says so.
  await page.goto(url('/me/'));
  await page.fill('#completed_on-qi_survey', '2999-01-01');
  res = await submit(page, '[data-qi-activity="qi_survey"] button[value="true"]');
  await assertErrorPage(page, res, 400, [/future/i]);

  // Without JavaScript the static PIP page shows no editable form (an empty
  // form would replace the saved draft); it links to the server's PIP page.
  await page.goto(url('/me/pip/'));
  assert.equal(await page.isVisible('#pip-form'), false, 'the static PIP form is hidden without JavaScript');
  assert.equal(await page.locator('#strengths:visible').count(), 0, 'no empty PIP fields to save by accident');
  await followNoscriptLink(page, 'Open your saved plan');
  assert.equal(page.url(), url('/api/me/pip'));
  assert.equal(await page.locator('h1').count(), 1);
  assert.equal(await page.inputValue('#strengths'), '', 'nothing saved yet');
  assert.match(await page.locator('body').innerText(), new RegExp(`${g.peers[1].name}: Self-Guided Chart Review`), 'what is missing: which member, which activity');

  // The PIP is refused while an activity is missing: which member, which activity.
  await page.fill('#strengths', 'Team-based care; same-day access.');
  await page.fill('#improvements', 'Opioid agreements; diabetes follow-up.');
  await fillGoal(page, 1, 'practice');
  await fillGoal(page, 2, 'practice');
  res = await submit(page, 'button[value="submit"]');
  await assertErrorPage(page, res, 409, [new RegExp(g.peers[1].name), /Chart Review/]);

  // Save the draft instead: back to the server's PIP page, which shows it.
  await page.goto(url('/api/me/pip'));
  await page.fill('#strengths', 'Team-based care; same-day access.');
  await page.fill('#improvements', 'Opioid agreements; diabetes follow-up.');
  await fillGoal(page, 1, 'self_care');
  await fillGoal(page, 2, 'self_care');
  res = await submit(page, 'button[value="save"]');
  assert.equal(res.status(), 303);
  assert.equal(page.url(), url('/api/me/pip?saved=1'));
  assert.match(await page.locator('[role="status"]').innerText(), /saved/);

  // Another member without JavaScript reopens the plan and sees the saved draft.
  const other = members[1].page;
  await other.goto(url('/me/pip/'));
  await followNoscriptLink(other, 'Open your saved plan');
  assert.equal(await other.inputValue('#strengths'), 'Team-based care; same-day access.');
  assert.equal(await other.inputValue('#improvements'), 'Opioid agreements; diabetes follow-up.');
  assert.ok(await other.isChecked('#goal_2_kind-self_care'), 'goal 2 kind is kept');
  assert.equal(await other.inputValue('#goal_2_target_date'), '2027-03-31');
  assert.equal(await other.inputValue('#goal_3_aim'), '', 'empty rows to add goals');

  // The last activity, from the server's activities page (linked from /me/).
  const last = members[2].page;
  await last.goto(url('/me/'));
  await followNoscriptLink(last, 'See and update your activities');
  assert.equal(last.url(), url('/api/me/activities'));
  assert.match(await last.locator('body').innerText(), /3 of 4 done/);
  assert.equal(await last.inputValue('#completed_on-qi_survey'), date, 'the saved date is shown');
  await last.fill('#completed_on-chart_review', date);
  res = await submit(last, 'button[name="done"][value="true"] >> nth=2');
  assert.equal(res.status(), 303);
  assert.equal(last.url(), url('/api/me/activities?saved=chart_review'));
  assert.match(await last.locator('body').innerText(), /4 of 4 done/);

  // Two self-care goals only are refused, with the reason: the saved draft is
  // submitted as it is, no retyping.
  await page.goto(url('/api/me/pip'));
  assert.match(await page.locator('body').innerText(), /Every member has completed all four activities/);
  res = await submit(page, 'button[value="submit"]');
  await assertErrorPage(page, res, 400, [/self-care/i]);

  // Now a valid plan: goal 2 becomes a practice goal, a third is added; submitted.
  await page.goto(url('/api/me/pip'));
  assert.equal(await page.inputValue('#goal_1_measure'), 'Patients on opioids with an agreement in the chart');
  await page.check('#goal_2_kind-practice');
  await fillGoal(page, 3, 'practice');
  res = await submit(page, 'button[value="submit"]');
  assert.equal(page.url(), url('/api/me/pip?submitted=1'));
  const submitted = await page.locator('body').innerText();
  assert.match(submitted, new RegExp(`met until .*${new Date().getUTCFullYear() + 5}`));
  assert.equal(await page.locator('main form').count(), 0, 'the submitted plan is read-only');

  // The server-rendered status view shows the dates and every member (not
  // the one who declined); the group page says who submitted.
  await members[1].page.goto(url('/api/me/status'));
  const status = await members[1].page.locator('body').innerText();
  const year = new Date().getUTCFullYear();
  assert.match(status, new RegExp(`${year + 5}`), 'requirement met until five years on');
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

  // Sign out: a plain form on /me/.
  await page.goto(url('/me/'));
  res = await submit(page, button(page, 'Sign out'));
  assert.equal(res.status(), 303);
  assert.equal(page.url(), url('/me/signed-out/'));
  assert.equal(await meStatus(lead.context), 401, 'signed out');
  res = await page.goto(url('/api/me/activities'));
  assert.equal(res.status(), 401, 'the server pages are 401 after signing out');

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
  await assertErrorPage(page, res, 400, [/CPSO/, /email/i]);
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
  assert.equal(await page.locator('h1').innerText(), 'This link is not valid or has been replaced');
  await signInWith(page, fresh, '/me/');
  assert.equal(await meStatus(p.context), 200);
  await p.context.close();
});
