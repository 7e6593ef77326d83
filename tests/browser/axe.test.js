// 5. axe-core finds no WCAG 2.0/2.1 A or AA violation on any page of the
// built site (signed in and signed out), on the forms in their error
// states, on the server's HTML pages (error pages, status view, PIP and
// activities pages, 404), and in every state of the verified journey: the
// sign-in page (valid and not valid), the group page (a proposal to review,
// an invitation to answer, a confirmed group, a formed group as lead and as
// peer, the invite form refused, a dissolved group), the member pages while
// a proposal or invitation waits, the new-link pages and every signed-out
// notice.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, person, url, sitemapPaths, FORM_PAGES, CONFIRMATION_PAGES, axe, describeViolations, cpsoBlock, makeGroup,
  makePeer, signInWith, press, outboxMark, linkFor, apiFormGroup,
} from './helpers.js';
import { memberGroup, proposedGroup, invitedGroup, signedIn, settled } from './setup.js';

const ids = cpsoBlock(6);

let browser;
let group;
before(async () => {
  browser = await launch();
  group = await memberGroup(6, 'axe', ids);
});
after(async () => { await browser?.close(); });

function collect(failures, where, violations) {
  if (violations.length) failures.push(describeViolations(where, violations));
}

/* axe on the page as it is now, after the member pages have drawn. */
async function check(failures, page, where) {
  await settled(page);
  assert.equal(await page.locator('h1').count(), 1, `${where} has exactly one h1`);
  collect(failures, where, await axe(page));
}

test('every page of the site, signed in and signed out', async () => {
  const paths = [...new Set([...(await sitemapPaths()), ...FORM_PAGES, ...CONFIRMATION_PAGES, '/no-such-page/'])];
  const member = await signedIn(browser, group.links.lead);
  const stranger = await person(browser);
  const failures = [];
  for (const p of paths) {
    for (const [who, ctx] of [['member', member], ['signed out', stranger]]) {
      await ctx.page.goto(url(p));
      await check(failures, ctx.page, `${p} (${who})`);
    }
  }
  assert.deepEqual(failures, [], '\n' + failures.join('\n'));
  assert.deepEqual(member.problems.filter((m) => !m.includes('/no-such-page/')), [], 'no script errors');
  await member.context.close();
  await stranger.context.close();
});

test('no page links to a missing page', async () => {
  const paths = await sitemapPaths();
  const member = await person(browser);
  const targets = new Set();
  for (const p of [...paths, ...FORM_PAGES, ...CONFIRMATION_PAGES]) {
    await member.page.goto(url(p));
    for (const href of await member.page.$$eval('a[href]', (as) => as.map((a) => a.getAttribute('href')))) {
      if (href.startsWith('/') && !href.startsWith('//') && !href.startsWith('/api/')) targets.add(href.split('#')[0]);
    }
  }
  const broken = [];
  for (const t of targets) {
    const res = await fetch(url(t));
    if (res.status !== 200) broken.push(`${t} → ${res.status}`);
  }
  assert.deepEqual(broken, []);
  await member.context.close();
});

test('the forms in their error states, with JavaScript', async () => {
  const member = await signedIn(browser, group.links.peer1);
  const page = member.page;
  const failures = [];

  // Sign-up: client-side errors, then a server-side error mapped to a field
  // (the same address for two peers).
  await page.goto(url('/groups/sign-up/'));
  await page.fill('#peer_1_email', 'nope');
  await page.click('button[data-qi-add="peer"]');
  await page.fill('#peer_2_name', 'Dr. Half Row');
  await page.click('#sign-up-form button[type="submit"]');
  await page.locator('.qi-error-summary').waitFor();
  collect(failures, 'sign-up, browser errors', await axe(page));
  const other = cpsoBlock(7);
  const g = makeGroup(other, 'axe-twice');
  await page.goto(url('/groups/sign-up/'));
  await page.fill('#lead_cpso', g.lead.cpso);
  await page.fill('#lead_name', g.lead.name);
  await page.fill('#group_name', g.group.name);
  await page.fill('#practice_setting', g.group.setting);
  await page.click('button[data-qi-add="peer"]');
  for (const n of [1, 2]) {
    await page.fill(`#peer_${n}_cpso`, g.peers[n - 1].cpso);
    await page.fill(`#peer_${n}_name`, g.peers[n - 1].name);
    await page.fill(`#peer_${n}_email`, g.peers[0].email);
  }
  await page.click('#sign-up-form button[type="submit"]');
  await page.locator('.qi-error-summary').waitFor();
  assert.equal(await page.getAttribute('#peer_2_email', 'aria-invalid'), 'true', 'the server\'s error is tied to the second address');
  collect(failures, 'sign-up, server error (the same address twice)', await axe(page));

  // A new link: nothing filled in.
  await page.goto(url('/me/new-link/'));
  await page.click('#new-link-form button[type="submit"]');
  await page.locator('.qi-error-summary').waitFor();
  collect(failures, '/me/new-link/, errors', await axe(page));

  // My activities: a date in the future.
  await page.goto(url('/me/'));
  await settled(page);
  await page.fill('#completed_on-data_driven_qi', '2999-12-31');
  await page.click('[data-qi-activity="data_driven_qi"] button[value="true"]');
  await page.locator('[data-qi-activity="data_driven_qi"] .qi-error-summary').waitFor();
  collect(failures, '/me/, future date', await axe(page));

  // PIP: missing fields on submit, then the server's refusal (activities missing).
  await page.goto(url('/me/pip/'));
  await settled(page);
  await page.fill('#goal_1_aim', '');
  await page.click('button[value="submit"]');
  await page.locator('.qi-error-summary').waitFor();
  collect(failures, '/me/pip/, browser errors', await axe(page));
  // Forget the unsaved local edit (the emptied aim), so the saved draft
  // loads: leave the page first (its pending save of the local edit dies
  // with it), then clear what it may have stored, then load the page again.
  await page.goto(url('/me/pip/'));
  await settled(page);
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  await settled(page);
  assert.equal(await page.inputValue('#goal_1_aim'), 'More patients screened', 'the saved draft is shown');
  await page.click('button[value="submit"]');
  await page.waitForFunction(() => /Data-Driven QI/.test(document.querySelector('.qi-error-summary')?.textContent || ''));
  collect(failures, '/me/pip/, server refusal', await axe(page));

  // Ask a QI Coach: nothing filled in.
  await page.goto(url('/support/ask/'));
  await page.click('#ask-form button[type="submit"]');
  await page.locator('.qi-error-summary').waitFor();
  collect(failures, '/support/ask/, errors', await axe(page));

  assert.deepEqual(failures, [], '\n' + failures.join('\n'));
  await member.context.close();
});

test('the server\'s HTML pages: error pages for plain form posts and the status view', async () => {
  // Plain form posts in a browser whose scripts are blocked (so the form is
  // sent natively), but which can still run axe.
  const member = await signedIn(browser, group.links.peer2);
  await member.context.route('**/*.js', (r) => r.abort());
  const page = member.page;
  const failures = [];
  const post = async (selector) => press(page, selector);

  await page.goto(url('/groups/sign-up/'));
  await page.fill('#lead_cpso', 'x1');
  await page.fill('#peer_3_email', 'broken@');
  let res = await post('#sign-up-form button[type="submit"]');
  assert.equal(res.status(), 400);
  collect(failures, 'server error page: sign-up', await axe(page));

  await page.goto(url('/me/new-link/'));
  await page.fill('#cpso', 'x1');
  res = await post('#new-link-form button[type="submit"]');
  assert.equal(res.status(), 400);
  collect(failures, 'server error page: new link', await axe(page));

  await page.goto(url('/api/me/pip'));
  assert.equal(await page.locator('h1').count(), 1);
  collect(failures, 'server PIP page /api/me/pip', await axe(page));
  await page.check('#goal_1_kind-practice');
  await page.fill('#goal_1_target_date', '2027-01-01');
  await page.fill('#goal_1_aim', 'An aim');
  res = await post('button[value="submit"]');
  assert.ok(res.status() >= 400, 'submission refused');
  collect(failures, `server error page: PIP submit (${res.status()})`, await axe(page));

  await page.goto(url('/support/ask/'));
  res = await post('#ask-form button[type="submit"]');
  assert.equal(res.status(), 400);
  collect(failures, 'server error page: ask', await axe(page));

  await page.goto(url('/api/me/status'));
  assert.equal(await page.locator('h1').count(), 1);
  collect(failures, 'server status view /api/me/status', await axe(page));

  await page.goto(url('/api/me/activities'));
  assert.equal(await page.locator('h1').count(), 1);
  collect(failures, 'server activities page /api/me/activities', await axe(page));

  // Signed out: the 401 page for a check-off.
  const stranger = await person(browser);
  await stranger.context.route('**/*.js', (r) => r.abort());
  await stranger.page.goto(url('/me/'));
  await stranger.page.fill('#completed_on-qi_survey', '2026-01-05');
  res = await press(stranger.page, '[data-qi-activity="qi_survey"] button[value="true"]');
  assert.equal(res.status(), 401);
  collect(failures, 'server 401 page', await axe(stranger.page));

  assert.deepEqual(failures, [], '\n' + failures.join('\n'));
  await member.context.close();
  await stranger.context.close();
});

test('the sign-in page and the member pages while a proposal or an invitation waits', async () => {
  const failures = [];
  const { leadLink } = await proposedGroup(ids, 'axe-proposed');
  const invited = await invitedGroup(ids, 'axe-invited');

  // The sign-in page, valid and not valid.
  const lead = await person(browser);
  await lead.page.goto(leadLink);
  await check(failures, lead.page, 'sign-in page');
  const res = await lead.page.goto(url('/api/access?code=not-a-code'));
  assert.equal(res.status(), 401);
  await check(failures, lead.page, 'sign-in page, link not valid');

  // The lead of a proposal: the group page and the member pages.
  await signInWith(lead.page, leadLink, '/api/me/group');
  await check(failures, lead.page, '/api/me/group, lead reviewing the proposal');
  for (const p of ['/me/', '/me/pip/', '/me/status/', '/support/ask/']) {
    await lead.page.goto(url(p));
    await settled(lead.page);
    assert.ok(await lead.page.locator('[data-qi-pending="review"]').isVisible(), `${p} shows the proposal to review`);
    await check(failures, lead.page, `${p}, proposal waiting`);
  }

  // An invited peer.
  const peer = await person(browser);
  await signInWith(peer.page, invited.peerLinks[0], '/api/me/group');
  await check(failures, peer.page, '/api/me/group, invited peer');
  await peer.page.goto(url('/me/'));
  await settled(peer.page);
  assert.ok(await peer.page.locator('[data-qi-pending="respond"]').isVisible(), '/me/ shows the invitation to answer');
  await check(failures, peer.page, '/me/, invitation waiting');

  // The lead of a confirmed group nobody has joined yet.
  const confirmed = await person(browser);
  await signInWith(confirmed.page, invited.leadLink, '/me/');
  await settled(confirmed.page);
  assert.ok(await confirmed.page.locator('[data-qi-waiting]').isVisible(), '/me/ says no peer has accepted yet');
  await check(failures, confirmed.page, '/me/, confirmed, no peer yet');
  await confirmed.page.goto(url('/api/me/group'));
  await check(failures, confirmed.page, '/api/me/group, confirmed, invitations pending');

  assert.deepEqual(failures, [], '\n' + failures.join('\n'));
  for (const p of [lead, peer, confirmed]) { assert.deepEqual(p.problems, []); await p.context.close(); }
});

test('the group page of a formed group: as lead, as peer, the invite form refused, dissolved', async () => {
  const failures = [];
  const lead = await signedIn(browser, group.links.lead);
  const page = lead.page;
  await page.goto(url('/api/me/group'));
  assert.ok(await page.locator('#invite-form').isVisible(), 'the lead sees the invite form');
  // Open every disclosure, so axe checks what they hold.
  for (const s of await page.locator('details.qi-confirm > summary').all()) await s.click();
  await check(failures, page, '/api/me/group, lead of a formed group');

  // The invite form refused: the server re-renders the page with the errors.
  await page.fill('#peer_cpso', 'x');
  await page.fill('#peer_email', 'not-an-address');
  let res = await press(page, page.getByRole('button', { name: 'Send the invitation' }));
  assert.equal(res.status(), 400);
  assert.ok(await page.locator('.qi-error-summary').isVisible());
  await check(failures, page, '/api/me/group, invite form refused');

  // A good invitation: the notice, and an invited peer in the list.
  const later = makePeer(ids, 'axe', 3);
  await page.fill('#peer_cpso', later.cpso);
  await page.fill('#peer_name', later.name);
  await page.fill('#peer_email', later.email);
  await press(page, page.getByRole('button', { name: 'Send the invitation' }), '/api/me/group');
  await page.locator('[role="status"]').waitFor();
  await check(failures, page, '/api/me/group?done=invited');

  // As a peer: "leave the group" opened.
  const peer = await signedIn(browser, group.links.peer1);
  await peer.page.goto(url('/api/me/group'));
  await peer.page.locator('details.qi-confirm > summary', { hasText: 'Leave the group' }).click();
  await check(failures, peer.page, '/api/me/group, peer of a formed group');

  // A dissolved group (another group: this one is used by the other tests).
  const d = makeGroup(ids, 'axe-dissolved', 1);
  const mark = await outboxMark();
  await apiFormGroup(d);
  const dl = await signedIn(browser, await linkFor(d.lead.email, mark));
  await dl.page.goto(url('/api/me/group'));
  await dl.page.locator('details.qi-confirm > summary', { hasText: 'Dissolve the group' }).click();
  await press(dl.page, dl.page.getByRole('button', { name: 'Yes, dissolve the group' }), '/api/me/group');
  assert.equal(new URL(dl.page.url()).search, '?done=dissolved');
  await check(failures, dl.page, '/api/me/group, dissolved');
  await dl.page.goto(url('/me/'));
  await settled(dl.page);
  assert.ok(await dl.page.locator('[data-qi-pending="dissolved"]').isVisible(), '/me/ says the group was dissolved');
  await check(failures, dl.page, '/me/, group dissolved');

  assert.deepEqual(failures, [], '\n' + failures.join('\n'));
  for (const p of [lead, peer, dl]) { assert.deepEqual(p.problems, []); await p.context.close(); }
});

test('the signed-out page in each of its states, and /me/ after signing out', async () => {
  const failures = [];
  const p = await person(browser);
  for (const q of ['', '?everywhere=1', '?discarded=1', '?declined=1', '?left=1']) {
    await p.page.goto(url(`/me/signed-out/${q}`));
    if (q) await p.page.locator(`[data-qi-query="${q.slice(1, -2)}"]`).waitFor({ state: 'visible' });
    await check(failures, p.page, `/me/signed-out/${q}`);
  }
  // A real sign-out, then /me/.
  const m = await signedIn(browser, group.links.peer2);
  await settled(m.page);
  await press(m.page, m.page.getByRole('button', { name: 'Sign out', exact: true }), '/me/signed-out/');
  await check(failures, m.page, '/me/signed-out/ after signing out');
  await m.page.goto(url('/me/'));
  await settled(m.page);
  assert.ok(await m.page.locator('div[data-qi-signed-out]').isVisible(), '/me/ shows the signed-out state');
  await check(failures, m.page, '/me/ after signing out');
  assert.deepEqual(failures, [], '\n' + failures.join('\n'));
  for (const x of [p, m]) { assert.deepEqual(x.problems, []); await x.context.close(); }
});
