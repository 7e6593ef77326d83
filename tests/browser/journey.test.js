// 1. The member journey with JavaScript on (docs/trust.md): a lead proposes a
// group of three; the only email goes to the lead's address on file; the
// lead signs in from it, reviews and confirms the proposal; each peer signs
// in from their own invitation (one browser context per member) and accepts;
// all check off their four activities; the PIP is refused while one activity
// is missing and with two self-care goals only; then saved, reloaded,
// submitted; the status shows the requirement-met-until date, five years on,
// and the group page who submitted it.
// Then, each with its own group: a sign-up with a number nobody invited;
// signing out; signing out on every device; a new link replacing the old
// one; the lead inviting a peer and withdrawing it; a peer leaving.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, person, url, cpsoBlock, makeGroup, makePeer, fillSignUp, linkFor, outbox, outboxMark, mailsSince, mailTo,
  daysAgo, ACTIVITIES, CHECK_YOUR_EMAIL, SAME_ANSWER, codeOf, openSignInPage, signInWith, press, meStatus,
  sessionCookie, apiFormGroup, apiGet, captureAnswer, plain,
} from './helpers.js';
import { settled } from './setup.js';

const ids = cpsoBlock(1);

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function checkOff(page, activity, date) {
  const box = page.locator(`[data-qi-activity="${activity}"]`);
  await box.locator('input[name="completed_on"]').fill(date);
  await box.locator('button[value="true"]').click();
  await assertText(box.locator('[data-qi-activity-state]'), /^Done on /);
}

/* Wait until the locator's text matches (polls the page's state). */
async function assertText(locator, re, timeout = 10000) {
  const deadline = Date.now() + timeout;
  let last = '';
  while (Date.now() < deadline) {
    last = (await locator.textContent().catch(() => '')) || '';
    if (re.test(last.trim())) return last;
    await new Promise((r) => setTimeout(r, 50)); // poll interval, not a wait for time to pass
  }
  assert.match(last.trim(), re);
  return last;
}

async function fillGoal(page, n, kind, tag) {
  await page.check(`#goal_${n}_kind-${kind}`);
  await page.fill(`#goal_${n}_aim`, `Aim ${tag}: raise the share of eligible patients screened for colorectal cancer`);
  await page.fill(`#goal_${n}_measure`, 'Eligible patients with a FIT in the last 2 years, from the EMR');
  await page.fill(`#goal_${n}_baseline`, '52%');
  await page.fill(`#goal_${n}_target`, '70%');
  await page.fill(`#goal_${n}_target_date`, '2027-06-30');
  await page.fill(`#goal_${n}_change_ideas`, 'Recall list each quarter; a reminder in the chart');
}

const shown = (page, sel) => page.locator(sel).evaluateAll((ns) => ns.some((n) => !n.closest('[hidden]')));

test('full journey with JavaScript: propose, sign in, confirm, accept, check off, PIP refused then submitted, status', async () => {
  const g = makeGroup(ids, 'js');
  const lead = await person(browser);
  const seenUrls = [];
  lead.context.on('request', (r) => seenUrls.push({ url: r.url(), referer: r.headers().referer || '' }));

  // --- the proposal, with client-side checks first ----------------------------
  await lead.page.goto(url('/groups/sign-up/'));
  assert.equal(await lead.page.locator('h1').count(), 1, 'exactly one h1');
  assert.equal(await lead.page.locator('#lead_email, [name="lead_email"]').count(), 0, 'there is no lead email field');
  // With JavaScript only the first peer row shows.
  assert.equal(await lead.page.locator('#peers [data-qi-row]').count(), 1);
  await lead.page.fill('#lead_cpso', '12a');
  await lead.page.click('#sign-up-form button[type="submit"]');
  const summary = lead.page.locator('.qi-error-summary');
  await summary.waitFor();
  assert.equal(await lead.page.evaluate(() => document.activeElement.classList.contains('qi-error-summary')), true,
    'the error summary receives focus');
  assert.match(await summary.textContent(), /CPSO number of 1 to 6 digits/);
  const described = await lead.page.getAttribute('#lead_cpso', 'aria-describedby');
  assert.equal(await lead.page.getAttribute('#lead_cpso', 'aria-invalid'), 'true');
  const msgId = described.split(' ').find((id) => id.includes('error'));
  assert.match(await lead.page.locator(`[id="${msgId}"]`).textContent(), /CPSO number/);

  await fillSignUp(lead.page, g);
  assert.equal(await lead.page.locator('#peers [data-qi-row]').count(), 2);
  const mark = await outboxMark();
  const answered = await captureAnswer(lead.page, '/api/groups');
  await Promise.all([
    lead.page.waitForURL(url(CHECK_YOUR_EMAIL)),
    lead.page.click('#sign-up-form button[type="submit"]'),
  ]);
  const answer = await answered.answer;
  assert.equal(answer.status, 202, 'the sign-up answers 202');
  assert.deepEqual(JSON.parse(answer.body), { message: SAME_ANSWER }, 'the answer names nobody and carries no code');
  assert.equal(answer.headers['set-cookie'], undefined, 'the sign-up sets no cookie');
  assert.equal(await lead.page.locator('h1').innerText(), 'Check your email');
  assert.ok(plain(await lead.page.locator('main').innerText()).includes(SAME_ANSWER), 'the page gives the same answer for anyone');
  assert.equal(await sessionCookie(lead.context), undefined, 'nobody is signed in by a sign-up');

  // Exactly one email: to the lead, at the address on file; none to the peers yet.
  let sent = await mailsSince(mark);
  assert.equal(sent.length, 1, `one email after the proposal: ${JSON.stringify(sent.map((m) => m.to))}`);
  assert.equal(mailTo(sent, g.lead.email).length, 1, 'it goes to the lead\'s address on file');
  assert.equal(sent[0].subject, 'Confirm your QI Group');
  const leadLink = await linkFor(g.lead.email, mark);
  assert.ok(!(await lead.page.content()).includes(codeOf(leadLink)), 'the page never shows the lead\'s code');

  // --- the lead signs in from the link -----------------------------------------
  await openSignInPage(lead.page, leadLink);
  assert.equal(await sessionCookie(lead.context), undefined, 'opening the link signs nobody in');
  assert.equal(await meStatus(lead.context), 401, 'GET /api/me is 401 before the button is pressed');
  await press(lead.page, lead.page.locator('main form button', { hasText: 'Sign in' }), '/api/me/group');
  const cookie = await sessionCookie(lead.context);
  assert.ok(cookie && cookie.httpOnly && cookie.sameSite === 'Strict', `an HttpOnly, SameSite=Strict session cookie (${JSON.stringify(cookie)})`);
  assert.equal(await lead.page.locator('h1').innerText(), 'Review your group\'s proposal');
  const review = await lead.page.locator('main').innerText();
  for (const s of [g.group.name, g.group.setting, ...g.peers.flatMap((p) => [p.name, p.email])]) {
    assert.ok(review.includes(s), `the proposal shows ${s}`);
  }

  // /me/ says what waits for the lead, and hides the group's work.
  await lead.page.goto(url('/me/'));
  await settled(lead.page);
  assert.ok(await shown(lead.page, '[data-qi-pending="review"]'), '/me/ shows the proposal to review');
  assert.equal(await shown(lead.page, '[data-qi-activity]'), false, 'no check-offs before the group is confirmed');
  await Promise.all([
    lead.page.waitForURL(url('/api/me/group')),
    lead.page.locator('[data-qi-pending="review"] a', { hasText: 'Review your group\'s proposal' }).click(),
  ]);

  // --- the lead confirms: each peer is invited ----------------------------------
  const confirmMark = await outboxMark();
  await press(lead.page, lead.page.getByRole('button', { name: 'Confirm and invite the peers' }), '/api/me/group');
  assert.equal(new URL(lead.page.url()).search, '?done=confirmed');
  assert.equal(await lead.page.locator('h1').innerText(), `Your group: ${g.group.name}`);
  sent = await mailsSince(confirmMark);
  for (const p of g.peers) {
    assert.equal(mailTo(sent, p.email).filter((m) => m.link).length, 1, `one invitation to ${p.email}`);
  }

  // --- each peer signs in from their own invitation and accepts -------------------
  const members = [lead];
  for (const p of g.peers) {
    const m = await person(browser);
    m.context.on('request', (r) => seenUrls.push({ url: r.url(), referer: r.headers().referer || '' }));
    await signInWith(m.page, await linkFor(p.email, confirmMark), '/api/me/group');
    assert.equal(await m.page.locator('h1').innerText(), 'Respond to your invitation');
    const invitation = await m.page.locator('main').innerText();
    assert.ok(invitation.includes(g.lead.name), 'the invitation names the lead');
    assert.ok(invitation.includes(g.group.name), 'the invitation names the group');
    const acceptMark = await outboxMark();
    await press(m.page, m.page.getByRole('button', { name: 'Accept the invitation' }), '/api/me/group');
    assert.equal(new URL(m.page.url()).search, '?done=accepted');
    assert.equal(await m.page.locator('h1').innerText(), `Your group: ${g.group.name}`);
    assert.equal(mailTo(await mailsSince(acceptMark), g.lead.email).length, 1, 'the lead is told by email');
    members.push(m);
  }

  for (const [i, m] of members.entries()) {
    await m.page.goto(url('/me/'));
    await settled(m.page);
    const who = i === 0 ? g.lead : g.peers[i - 1];
    await assertText(m.page.locator('[data-qi-member-name]').first(), new RegExp(who.name));
    await assertText(m.page.locator('[data-qi-progress]'), /0 of 4/);
  }

  // --- check-offs: everyone but the last peer's Data-Driven QI -------------
  const date = daysAgo(5);
  // A date in the future is refused in the browser, with the reason.
  const future = new Date(Date.now() + 3 * 86400e3).toISOString().slice(0, 10);
  const qs = lead.page.locator('[data-qi-activity="qi_survey"]');
  await qs.locator('input[name="completed_on"]').fill(future);
  await qs.locator('button[value="true"]').click();
  await assertText(qs.locator('.qi-error-summary'), /cannot be in the future/);

  for (const [i, m] of members.entries()) {
    for (const a of ACTIVITIES) {
      if (i === members.length - 1 && a === 'data_driven_qi') continue;
      await checkOff(m.page, a, date);
    }
  }
  await assertText(members[0].page.locator('[data-qi-progress]'), /4 of 4/);
  await assertText(members[2].page.locator('[data-qi-progress]'), /3 of 4/);
  // Un-check and check again.
  const p1 = members[1].page.locator('[data-qi-activity="chart_review"]');
  await p1.locator('button[value="false"]').click();
  await assertText(p1.locator('[data-qi-activity-state]'), /Not done/);
  await assertText(members[1].page.locator('[data-qi-progress]'), /3 of 4/);
  await checkOff(members[1].page, 'chart_review', date);

  // --- the PIP ---------------------------------------------------------------
  const pip = lead.page;
  await pip.goto(url('/me/pip/'));
  const missing = pip.locator('[data-qi-pip-missing]');
  await assertText(missing, new RegExp(`${g.peers[1].name}: Data-Driven QI`));
  await pip.fill('#strengths', 'Shared EMR templates; strong nursing support.');
  await pip.fill('#improvements', 'Cancer screening recall; documentation of medication reviews.');
  await fillGoal(pip, 1, 'self_care', 'one');
  await fillGoal(pip, 2, 'self_care', 'two');
  await assertText(pip.locator('[data-qi-goal-count]'), /only one self-care goal counts/);
  // Refused: two self-care goals only (the page says why).
  await pip.click('button[value="submit"]');
  await assertText(pip.locator('.qi-error-summary'), /only one self-care goal counts toward the two/);
  assert.equal(await pip.evaluate(() => document.activeElement.classList.contains('qi-error-summary')), true);
  // Refused by the server: one activity is still missing (which member, which activity).
  await pip.check('#goal_2_kind-practice');
  await pip.click('button[value="submit"]');
  const refusal = await assertText(pip.locator('.qi-error-summary'), /Data-Driven QI/);
  assert.match(refusal, new RegExp(g.peers[1].name), 'the refusal names the member');
  // Save the draft, then reload: it is still there (from the server).
  await pip.click('button[value="save"]');
  await assertText(pip.locator('[data-qi-pip-saved]'), /Draft saved/);
  await pip.reload();
  await assertText(pip.locator('[data-qi-pip-state]'), /Draft saved/);
  assert.equal(await pip.inputValue('#strengths'), 'Shared EMR templates; strong nursing support.');
  assert.equal(await pip.isChecked('#goal_2_kind-practice'), true);
  // Unsaved edits survive a closed tab (localStorage), and are marked as such.
  await pip.fill('#improvements', 'Cancer screening recall; medication reviews; follow-up of abnormal results.');
  await pip.waitForFunction(() => Object.keys(localStorage).some((k) => k.startsWith('qi:pip-draft:') &&
    (localStorage.getItem(k) || '').includes('follow-up of abnormal results')));
  await pip.close();
  const pip2 = await lead.context.newPage();
  lead.page = pip2;
  await pip2.goto(url('/me/pip/'));
  await pip2.locator('[data-qi-pip-restored]').waitFor({ state: 'visible' });
  assert.match(await pip2.inputValue('#improvements'), /follow-up of abnormal results/);
  // Another member sees the saved draft (not the unsaved local edit).
  await members[1].page.goto(url('/me/pip/'));
  await assertText(members[1].page.locator('[data-qi-pip-state]'), /Draft saved/);
  assert.equal(await members[1].page.inputValue('#strengths'), 'Shared EMR templates; strong nursing support.');
  assert.doesNotMatch(await members[1].page.inputValue('#improvements'), /abnormal results/);

  // The last activity, then submission.
  await checkOff(members[2].page, 'data_driven_qi', date);
  await assertText(members[2].page.locator('[data-qi-progress]'), /4 of 4/);
  await pip2.reload();
  await assertText(pip2.locator('[data-qi-pip-missing]'), /Every member has finished/);
  // The same drawing step restored the local draft.
  await pip2.locator('[data-qi-pip-restored]').waitFor({ state: 'visible' });
  assert.match(await pip2.inputValue('#improvements'), /follow-up of abnormal results/, 'the local draft is restored again');
  await Promise.all([pip2.waitForURL(url('/me/pip/submitted/')), pip2.click('button[value="submit"]')]);
  const metUntil = await assertText(pip2.locator('[data-qi-met-until]'), /met until/);
  const stored = await pip2.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('qi:pip-draft:')));
  assert.deepEqual(stored, [], 'the local draft is cleared after submission');

  // --- the status page ---------------------------------------------------------
  const status = await members[1].page.evaluate(async () => {
    const me = await (await fetch('/api/me', { headers: { Accept: 'application/json' } })).json();
    return (await fetch(`/api/groups/${me.group_id}`, { headers: { Accept: 'application/json' } })).json();
  });
  assert.equal(status.pip.state, 'submitted');
  const sub = new Date(status.pip.submitted_on + 'T00:00:00Z');
  const until = new Date(status.pip.requirement_met_until + 'T00:00:00Z');
  assert.equal(until.getUTCFullYear() - sub.getUTCFullYear(), 5, 'requirement met for five years');
  const months = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
  const longUntil = `${until.getUTCDate()} ${months[until.getUTCMonth()]} ${until.getUTCFullYear()}`;
  assert.ok(metUntil.includes(longUntil), `confirmation says until ${longUntil}: ${metUntil}`);

  const sp = members[1].page;
  await sp.goto(url('/me/status/'));
  const table = sp.locator('[data-qi-status] table');
  await table.waitFor();
  assert.equal(await table.locator('tbody tr').count(), 3, 'one row per member');
  assert.equal(await table.locator('thead th').count(), 6);
  const cells = await table.locator('tbody td').allTextContents();
  assert.equal(cells.filter((c) => /^Done \d{4}-\d{2}-\d{2}$/.test(c.trim())).length, 12, 'every activity reads "Done <date>"');
  const rowNames = await table.locator('tbody th[scope="row"]').allTextContents();
  for (const who of [g.lead, ...g.peers]) assert.ok(rowNames.some((n) => n.includes(who.name)));
  const text = await sp.locator('[data-qi-status]').textContent();
  assert.ok(text.includes(longUntil), `status page shows the requirement-met-until date ${longUntil}`);
  assert.match(text, /Submitted/);
  assert.match(text, /CPD credits you may claim/);

  // The group page says who submitted the plan.
  await sp.goto(url('/api/me/group'));
  const by = sp.locator('dt', { hasText: 'Plan submitted by' });
  assert.equal(await by.count(), 1, 'the group page says who submitted the plan');
  assert.match(await by.locator('xpath=following-sibling::dd[1]').innerText(), new RegExp(`^${g.lead.name} on `));

  // --- checks are locked after submission ------------------------------------
  await members[0].page.goto(url('/me/'));
  await members[0].page.locator('[data-qi-locked]').waitFor({ state: 'visible' });

  // --- ask a QI Coach --------------------------------------------------------
  const ask = members[2].page;
  await ask.goto(url('/support/ask/'));
  await ask.click('#ask-form button[type="submit"]');
  await assertText(ask.locator('.qi-error-summary'), /Choose what your question is about/);
  await ask.selectOption('#topic', 'measurement');
  await ask.fill('#message', 'How do we measure a baseline when our EMR cannot report screening rates?');
  await Promise.all([ask.waitForURL(url('/support/ask/done/')), ask.click('#ask-form button[type="submit"]')]);

  // --- the code never sits in a page URL or a Referer ------------------------
  for (const r of seenUrls) {
    assert.ok(!/[?&]code=/.test(r.referer), `no access code in the Referer of ${r.url}`);
    if (!new URL(r.url).pathname.startsWith('/api/access')) {
      assert.ok(!/[?&]code=/.test(r.url), `no access code in ${r.url}`);
    }
  }
  for (const m of members) {
    assert.deepEqual(m.problems, [], 'no script errors');
    await m.context.close();
  }
});

test('a sign-up with a number nobody invited looks the same and sends no email', async () => {
  const g = makeGroup({ ...ids, lead: ids.uninvited }, 'js-uninvited');
  const p = await person(browser);
  await p.page.goto(url('/groups/sign-up/'));
  await fillSignUp(p.page, g);
  const before = (await outbox()).length;
  const answered = await captureAnswer(p.page, '/api/groups');
  await Promise.all([
    p.page.waitForURL(url(CHECK_YOUR_EMAIL)),
    p.page.click('#sign-up-form button[type="submit"]'),
  ]);
  const answer = await answered.answer;
  assert.equal(answer.status, 202);
  assert.deepEqual(JSON.parse(answer.body), { message: SAME_ANSWER }, 'the same answer as for an invited number');
  assert.equal(answer.headers['set-cookie'], undefined);
  assert.equal(await p.page.locator('h1').innerText(), 'Check your email');
  assert.ok(plain(await p.page.locator('main').innerText()).includes(SAME_ANSWER), 'the same page text');
  assert.equal((await outbox()).length, before, 'no email was sent');
  assert.equal(await sessionCookie(p.context), undefined);
  assert.deepEqual(p.problems, []);
  await p.context.close();
});

test('signing out ends this browser\'s session', async () => {
  const { g, links, sessions } = await apiFormGroup(makeGroup(ids, 'js-signout'));
  const m = await person(browser);
  await signInWith(m.page, links.peers[0], '/me/');
  await settled(m.page);
  await assertText(m.page.locator('[data-qi-member-name]').first(), new RegExp(g.peers[0].name));
  await press(m.page, m.page.getByRole('button', { name: 'Sign out', exact: true }), '/me/signed-out/');
  assert.equal(new URL(m.page.url()).search, '');
  assert.equal(await m.page.locator('h1').innerText(), 'You are signed out');
  assert.equal(await shown(m.page, '[data-qi-query="everywhere"]'), false, 'no "every device" notice');
  assert.equal(await sessionCookie(m.context), undefined, 'the cookie is cleared');
  assert.equal(await meStatus(m.context), 401, 'GET /api/me is 401 after signing out');

  // /me/ shows how to sign in, and none of the member's work.
  await m.page.goto(url('/me/'));
  await settled(m.page);
  assert.ok(await shown(m.page, 'div[data-qi-signed-out]'), '/me/ shows the signed-out state');
  assert.equal(await shown(m.page, '[data-qi-activity]'), false, 'no check-off forms when signed out');
  assert.equal(await shown(m.page, '[data-qi-member-name]'), false);
  const res = await m.page.goto(url('/api/me/group'));
  assert.equal(res.status(), 401, 'the group page is 401 too');

  // Only this session ended: another one of the same member still works.
  assert.equal((await apiGet(sessions.peers[0], '/api/me')).status, 200, 'the member\'s other session is still live');
  assert.deepEqual(m.problems, []);
  await m.context.close();
});

test('signing out on every device ends the other browsers\' sessions too', async () => {
  const { links, sessions } = await apiFormGroup(makeGroup(ids, 'js-everywhere'));
  const here = await person(browser);
  const there = await person(browser);
  await signInWith(here.page, links.peers[1], '/me/');
  await signInWith(there.page, links.peers[1], '/me/');
  assert.equal(await meStatus(there.context), 200, 'the other browser is signed in');

  await settled(here.page);
  await press(here.page, here.page.getByRole('button', { name: 'Sign out on every device' }), '/me/signed-out/');
  assert.equal(new URL(here.page.url()).search, '?everywhere=1');
  await here.page.locator('[data-qi-query="everywhere"]').waitFor({ state: 'visible' });
  assert.equal(await meStatus(here.context), 401);
  assert.equal(await meStatus(there.context), 401, 'the other browser is signed out too');
  assert.equal((await apiGet(sessions.peers[1], '/api/me')).status, 401, 'and every other session of the member');
  await there.page.reload();
  await settled(there.page);
  assert.ok(await shown(there.page, 'div[data-qi-signed-out]'), 'the other browser\'s /me/ shows the signed-out state');

  // The link itself still works: sign in again.
  await signInWith(there.page, links.peers[1], '/me/');
  assert.equal(await meStatus(there.context), 200);
  for (const p of [here, there]) { assert.deepEqual(p.problems, []); await p.context.close(); }
});

test('a new link from /me/new-link/ replaces the old one', async () => {
  const { g, links } = await apiFormGroup(makeGroup(ids, 'js-newlink'));
  const peer = g.peers[0];
  const old = await person(browser);
  await signInWith(old.page, links.peers[0], '/me/');

  const p = await person(browser);
  await p.page.goto(url('/me/new-link/'));
  assert.equal(await p.page.locator('h1').count(), 1);
  // Client-side checks.
  await p.page.fill('#cpso', '12x');
  await p.page.click('#new-link-form button[type="submit"]');
  const summary = p.page.locator('.qi-error-summary');
  await summary.waitFor();
  assert.match(await summary.innerText(), /CPSO/);
  assert.equal(await p.page.getAttribute('#email', 'aria-invalid'), 'true', 'the empty email is flagged');

  // Details that match nobody: the same page, no email.
  let mark = await outboxMark();
  await p.page.fill('#cpso', peer.cpso);
  await p.page.fill('#email', 'somebody.else@example.org');
  await Promise.all([p.page.waitForURL(url('/me/new-link/sent/')), p.page.click('#new-link-form button[type="submit"]')]);
  assert.equal(await p.page.locator('h1').innerText(), 'Check your email');
  assert.deepEqual(await mailsSince(mark), [], 'no email for details that match nobody');

  // The member's own details.
  await p.page.goto(url('/me/new-link/'));
  mark = await outboxMark();
  await p.page.fill('#cpso', peer.cpso);
  await p.page.fill('#email', peer.email);
  const [answer] = await Promise.all([
    p.page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/access/recover'),
    p.page.waitForURL(url('/me/new-link/sent/')),
    p.page.click('#new-link-form button[type="submit"]'),
  ]);
  assert.equal(answer.status(), 202);
  const sent = await mailsSince(mark);
  assert.equal(sent.length, 1, 'one email');
  assert.equal(mailTo(sent, peer.email).length, 1, 'to the member\'s address on file');
  const fresh = await linkFor(peer.email, mark);
  assert.notEqual(codeOf(fresh), codeOf(links.peers[0]));

  // The old link's page says it is not valid; the old sign-in has ended.
  const res = await p.page.goto(links.peers[0]);
  assert.equal(res.status(), 401);
  assert.equal(await p.page.locator('h1').innerText(), 'This link is not valid or has been replaced');
  assert.equal(await p.page.locator('main form').count(), 0, 'no Sign in button');
  assert.equal(await p.page.locator('main a[href="/me/new-link/"]').count(), 1, 'it links to a new link');
  assert.equal(await meStatus(old.context), 401, 'the browser signed in with the old link is signed out');

  // The new link signs in.
  await signInWith(p.page, fresh, '/me/');
  await settled(p.page);
  await assertText(p.page.locator('[data-qi-member-name]').first(), new RegExp(peer.name));
  for (const x of [old, p]) { assert.deepEqual(x.problems, []); await x.context.close(); }
});

test('the lead invites a peer from the group page, then withdraws the invitation', async () => {
  const tag = 'js-invite';
  const { g, links } = await apiFormGroup(makeGroup(ids, tag), { accept: [0] });
  const lead = await person(browser);
  await signInWith(lead.page, links.lead, '/me/');
  const page = lead.page;
  await page.goto(url('/api/me/group'));
  assert.equal(await page.locator('h1').innerText(), `Your group: ${g.group.name}`);

  // A refused invitation: the page comes back with the errors and the answers kept.
  await page.fill('#peer_cpso', '12x');
  await page.fill('#peer_name', 'Dr. Peer Typo');
  await page.fill('#peer_email', 'not-an-address');
  let res = await press(page, page.getByRole('button', { name: 'Send the invitation' }));
  assert.equal(res.status(), 400);
  assert.match(await page.title(), /^Error: /);
  const summary = page.locator('.qi-error-summary');
  assert.match(await summary.innerText(), /CPSO/);
  assert.match(await summary.innerText(), /email/i);
  assert.equal(await page.inputValue('#peer_cpso'), '12x', 'the answers are kept');
  assert.equal(await page.inputValue('#peer_name'), 'Dr. Peer Typo');
  assert.equal(await page.getAttribute('#peer_cpso', 'aria-invalid'), 'true');

  // A good invitation: listed as invited, and emailed.
  const later = makePeer(ids, tag, 3);
  await page.fill('#peer_cpso', later.cpso);
  await page.fill('#peer_name', later.name);
  await page.fill('#peer_email', later.email);
  let mark = await outboxMark();
  res = await press(page, page.getByRole('button', { name: 'Send the invitation' }), '/api/me/group');
  assert.equal(new URL(page.url()).search, '?done=invited');
  const item = page.locator('.qi-member-list li', { hasText: later.name });
  assert.equal(await item.count(), 1, 'the new peer is listed');
  assert.match(await item.innerText(), /invit/i, 'as invited');
  const invitation = await linkFor(later.email, mark);

  // Withdraw it: no longer listed, told by email, and the link stops working.
  mark = await outboxMark();
  await press(page, item.getByRole('button', { name: `Withdraw invitation to ${later.name}` }), '/api/me/group');
  assert.equal(new URL(page.url()).search, '?done=removed');
  assert.equal(await page.locator('.qi-member-list li', { hasText: later.name }).count(), 0, 'the withdrawn peer is not listed');
  assert.equal(mailTo(await mailsSince(mark), later.email).length, 1, 'the peer is told by email');
  assert.match(await page.locator('#history ~ ol').innerText(), new RegExp(later.name), 'the history records it');
  res = await page.goto(invitation);
  assert.equal(res.status(), 401, 'the withdrawn invitation\'s link is not valid');
  assert.deepEqual(lead.problems, []);
  await lead.context.close();
});

test('a peer leaves the group', async () => {
  const { g, links, sessions } = await apiFormGroup(makeGroup(ids, 'js-leave'));
  const peer = await person(browser);
  await signInWith(peer.page, links.peers[1], '/me/');
  const page = peer.page;
  await page.goto(url('/api/me/group'));
  await page.locator('details.qi-confirm summary', { hasText: 'Leave the group' }).click();
  const mark = await outboxMark();
  await press(page, page.getByRole('button', { name: 'Yes, leave the group' }), '/me/signed-out/');
  assert.equal(new URL(page.url()).search, '?left=1');
  await page.locator('[data-qi-query="left"]').waitFor({ state: 'visible' });
  assert.equal(await meStatus(peer.context), 401, 'the peer is signed out');
  assert.equal(mailTo(await mailsSince(mark), g.lead.email).length, 1, 'the lead is told by email');
  const after = await apiGet(sessions.lead, '/api/me/group');
  assert.equal(after.status, 200);
  assert.deepEqual(after.json.members.map((m) => m.name), [g.lead.name, g.peers[0].name], 'the peer is no longer a member');
  assert.ok(after.json.audit.some((a) => a.text.includes(g.peers[1].name)), 'the history records who left');
  assert.deepEqual(peer.problems, []);
  await peer.context.close();
});

test('a new link: the address may be typed in another case', async () => {
  const { g } = await apiFormGroup(makeGroup(ids, 'js-newlink-case'), { accept: [0] });
  const p = await person(browser);
  await p.page.goto(url('/me/new-link/'));
  const mark = await outboxMark();
  await p.page.fill('#cpso', g.lead.cpso);
  await p.page.fill('#email', g.lead.email.toUpperCase());
  await Promise.all([p.page.waitForURL(url('/me/new-link/sent/')), p.page.click('#new-link-form button[type="submit"]')]);
  assert.equal(mailTo(await mailsSince(mark), g.lead.email).length, 1, 'the new link goes to the address on file');
  await signInWith(p.page, await linkFor(g.lead.email, mark), '/me/');
  assert.deepEqual(p.problems, []);
  await p.context.close();
});
