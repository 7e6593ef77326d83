// 2. The journey's key steps with JavaScript turned off: every form is a
// plain POST answered by a redirect to a confirmation page, or by the
// server's HTML error page listing each problem by field.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, person, url, cpsoBlock, makeGroup, fillSignUp, linkFor, daysAgo, ACTIVITIES,
} from './helpers.js';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/* Click a submit button and return the response to the form's POST. */
async function submit(page, selector) {
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && r.request().isNavigationRequest()),
    page.click(selector),
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

async function fillGoal(page, n, kind) {
  await page.check(`#goal_${n}_kind-${kind}`);
  await page.fill(`#goal_${n}_aim`, `Goal ${n}: every patient on an opioid has a treatment agreement`);
  await page.fill(`#goal_${n}_measure`, 'Patients on opioids with an agreement in the chart');
  await page.fill(`#goal_${n}_baseline`, '30%');
  await page.fill(`#goal_${n}_target`, '90%');
  await page.fill(`#goal_${n}_target_date`, '2027-03-31');
  await page.fill(`#goal_${n}_change_ideas`, 'Flag in the EMR; review at each renewal');
}

test('the journey works with JavaScript turned off', async () => {
  const g = makeGroup(cpsoBlock(2), 'nojs');
  const lead = await person(browser, { js: false });
  const page = lead.page;

  // Sign-up: six empty peer rows, all visible.
  await page.goto(url('/groups/sign-up/'));
  assert.equal(await page.locator('#peers [data-qi-row]').count(), 6, 'six peer rows without JavaScript');
  for (let n = 1; n <= 6; n++) assert.ok(await page.isVisible(`#peer_${n}_email`), `peer ${n} row is visible`);
  const hp = await page.locator('#website').boundingBox();
  assert.ok(!hp || hp.x + hp.width <= 0 || hp.width <= 1, `the honeypot is off screen (${JSON.stringify(hp)})`);
  assert.equal(await page.getAttribute('#website', 'tabindex'), '-1', 'the honeypot is out of the tab order');

  // An incomplete form: the server's error page lists each problem by field.
  await page.fill('#lead_cpso', '12ab');
  await page.fill('#peer_2_name', 'Dr. Half Row');
  let res = await submit(page, '#sign-up-form button[type="submit"]');
  const text = await assertErrorPage(page, res, 400, [/CPSO/i, /name/i, /email/i]);
  assert.match(text, /peer 2/i, 'the half-filled peer row is named');

  // The real sign-up: 303 to the confirmation page, with the lead's cookie.
  await page.goto(url('/groups/sign-up/'));
  await fillSignUp(page, g, { js: false });
  res = await submit(page, '#sign-up-form button[type="submit"]');
  assert.equal(page.url(), url('/groups/sign-up/done/'));
  assert.equal(res.status(), 303);
  assert.equal(await page.locator('h1').innerText(), 'Your group has been formed');
  const cookies = await lead.context.cookies(url('/api/me'));
  const access = cookies.find((c) => c.name === 'qi_access');
  assert.ok(access && access.httpOnly, 'the lead holds an HttpOnly access cookie');

  // The same physician cannot be in a second open group.
  await page.goto(url('/groups/sign-up/'));
  const again = makeGroup(cpsoBlock(3), 'nojs-again');
  again.peers[0].cpso = g.peers[0].cpso;
  await fillSignUp(page, again, { js: false });
  res = await submit(page, '#sign-up-form button[type="submit"]');
  await assertErrorPage(page, res, 409, [/peer 1/i]);

  // Peers open their links.
  const members = [lead];
  for (const p of g.peers) {
    const m = await person(browser, { js: false });
    await m.page.goto(await linkFor(p.email));
    assert.equal(m.page.url(), url('/me/'));
    members.push(m);
  }

  // Check-offs by plain form posts; the last peer leaves one out.
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

  // The PIP is refused while an activity is missing: which member, which activity.
  await page.goto(url('/me/pip/'));
  await page.fill('#strengths', 'Team-based care; same-day access.');
  await page.fill('#improvements', 'Opioid agreements; diabetes follow-up.');
  await fillGoal(page, 1, 'practice');
  await fillGoal(page, 2, 'practice');
  res = await submit(page, 'button[value="submit"]');
  await assertErrorPage(page, res, 409, [new RegExp(g.peers[1].name), /Chart Review/]);

  // Save the draft instead.
  await page.goto(url('/me/pip/'));
  await page.fill('#strengths', 'Team-based care; same-day access.');
  await page.fill('#improvements', 'Opioid agreements; diabetes follow-up.');
  await fillGoal(page, 1, 'self_care');
  await fillGoal(page, 2, 'self_care');
  res = await submit(page, 'button[value="save"]');
  assert.equal(page.url(), url('/me/pip/saved/'));

  // The last activity; then two self-care goals only are refused, with the reason.
  await members[2].page.goto(url('/me/'));
  await members[2].page.fill('#completed_on-chart_review', date);
  await submit(members[2].page, '[data-qi-activity="chart_review"] button[value="true"]');
  await page.goto(url('/me/pip/'));
  await page.fill('#strengths', 'Team-based care; same-day access.');
  await page.fill('#improvements', 'Opioid agreements; diabetes follow-up.');
  await fillGoal(page, 1, 'self_care');
  await fillGoal(page, 2, 'self_care');
  res = await submit(page, 'button[value="submit"]');
  await assertErrorPage(page, res, 400, [/self-care/i]);

  // Now a valid plan: submitted.
  await page.goto(url('/me/pip/'));
  await page.fill('#strengths', 'Team-based care; same-day access.');
  await page.fill('#improvements', 'Opioid agreements; diabetes follow-up.');
  await fillGoal(page, 1, 'self_care');
  await fillGoal(page, 2, 'practice');
  await fillGoal(page, 3, 'practice');
  res = await submit(page, 'button[value="submit"]');
  assert.equal(page.url(), url('/me/pip/submitted/'));

  // The server-rendered status view shows the dates and every member.
  await members[1].page.goto(url('/api/me/status'));
  const status = await members[1].page.locator('body').innerText();
  const year = new Date().getUTCFullYear();
  assert.match(status, new RegExp(`${year + 5}`), 'requirement met until five years on');
  for (const who of [g.lead, ...g.peers]) assert.ok(status.includes(who.name), `status lists ${who.name}`);
  assert.ok(await members[1].page.locator('table th[scope]').count() >= 5, 'a real table with header cells');

  // Ask a QI Coach.
  await page.goto(url('/support/ask/'));
  await page.selectOption('#topic', 'pip_goals');
  await page.fill('#message', 'Can a goal be shared by two members with different baselines?');
  res = await submit(page, '#ask-form button[type="submit"]');
  assert.equal(page.url(), url('/support/ask/done/'));

  for (const m of members) await m.context.close();
});
