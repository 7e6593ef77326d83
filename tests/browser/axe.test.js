// 5. axe-core finds no WCAG 2.0/2.1 A or AA violation on any page of the
// built site (signed in and signed out, the footer's pages and /fr/), on the
// forms refused by the server with and without JavaScript, on the member
// pages (the task list pending review, invited, working and submitted;
// activities; the plan as a draft, refused, saved and submitted; status;
// the signed-out member page), and in every state of the verified journey: the
// sign-in page (valid and not valid), the group page (a proposal to review,
// an invitation to answer, a confirmed group, a formed group as lead and as
// peer, the invite form refused, a dissolved group), the member pages while
// a proposal or invitation waits, the new-link pages and every signed-out
// notice.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, person, url, sitemapPaths, FORM_PAGES, CONFIRMATION_PAGES, FOOTER_PAGES, MEMBER_PAGES, axe, describeViolations,
  cpsoBlock, makeGroup, makePeer, signInWith, press, outboxMark, linkFor, apiFormGroup, apiCheckOff, ACTIVITIES, fillDate,
  doneButton,
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
  const paths = [...new Set([...(await sitemapPaths()), ...FORM_PAGES, ...CONFIRMATION_PAGES, ...FOOTER_PAGES,
    ...MEMBER_PAGES, '/no-such-page/'])];
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
  for (const p of [...paths, ...FORM_PAGES, ...CONFIRMATION_PAGES, ...FOOTER_PAGES]) {
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

/* Wait for forms.js to put the server's refused form in place (focus on its summary). */
async function refusedInPlace(page) {
  await page.waitForFunction(() => document.activeElement && document.activeElement.hasAttribute('data-qi-error-summary'));
}

test('the forms refused by the server, with JavaScript', async () => {
  const member = await signedIn(browser, group.links.peer1);
  const page = member.page;
  const failures = [];

  // Sign-up: fields refused, then an error the server ties to a field (the
  // same address for two peers).
  await page.goto(url('/groups/sign-up/'));
  await page.fill('#peer_1_email', 'nope');
  await page.click('button[data-qi-add="peer"]');
  await page.fill('#peer_2_name', 'Dr. Half Row');
  await page.click('#sign-up-form button[type="submit"]');
  await refusedInPlace(page);
  await check(failures, page, 'sign-up refused (JS)');
  const g = makeGroup(cpsoBlock(7), 'axe-twice');
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
  await refusedInPlace(page);
  assert.equal(await page.getAttribute('#peer_2_email', 'aria-invalid'), 'true', 'the server\'s error is tied to the second address');
  await check(failures, page, 'sign-up, the same address twice (JS)');

  // A new link and a question: nothing filled in.
  for (const [p, form] of [['/me/new-link/', '#new-link-form'], ['/support/ask/', '#ask-form']]) {
    await page.goto(url(p));
    await page.click(`${form} button[type="submit"]`);
    await refusedInPlace(page);
    await check(failures, page, `${p} refused (JS)`);
  }

  // A check-off refused: a date that does not exist.
  await page.goto(url('/api/me/activities'));
  await fillDate(page, 'completed_on-data_driven_qi', { day: '31', month: '2', year: '2026' });
  await doneButton(page, 'data_driven_qi').click();
  await refusedInPlace(page);
  await check(failures, page, '/api/me/activities, check-off refused (JS)');
  // A check-off saved: the Saved notice.
  await fillDate(page, 'completed_on-data_driven_qi', '2026-11-02');
  await doneButton(page, 'data_driven_qi').click();
  await page.waitForFunction(() => document.activeElement && document.activeElement.hasAttribute('data-qi-focus'));
  await check(failures, page, '/api/me/activities, saved (JS)');

  // The plan: a draft, refused (activities missing), saved.
  await page.goto(url('/api/me/pip'));
  assert.equal(await page.inputValue('#goal_1_aim'), 'More patients screened', 'the saved draft is shown');
  await check(failures, page, '/api/me/pip, draft');
  await page.click('button[name="action"][value="submit"]');
  await refusedInPlace(page);
  await check(failures, page, '/api/me/pip, refused (JS)');
  await page.click('button[name="action"][value="save"]');
  await page.waitForFunction(() => document.activeElement && document.activeElement.hasAttribute('data-qi-focus'));
  await check(failures, page, '/api/me/pip, saved (JS)');

  assert.deepEqual(failures, [], '\n' + failures.join('\n'));
  await member.context.close();
});

test('the forms refused by the server without JavaScript, and the member pages', async () => {
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
  await check(failures, page, 'sign-up refused (no JS)');

  await page.goto(url('/me/new-link/'));
  await page.fill('#cpso', 'x1');
  res = await post('#new-link-form button[type="submit"]');
  assert.equal(res.status(), 400);
  await check(failures, page, 'new link refused (no JS)');

  await page.goto(url('/support/ask/'));
  res = await post('#ask-form button[type="submit"]');
  assert.equal(res.status(), 400);
  await check(failures, page, 'ask refused (no JS)');

  await page.goto(url('/api/me/activities'));
  await fillDate(page, 'completed_on-qi_survey', { day: '1', month: '1', year: '2999' });
  res = await post(doneButton(page, 'qi_survey'));
  assert.equal(res.status(), 400);
  await check(failures, page, 'check-off refused (no JS)');

  await page.goto(url('/api/me/pip'));
  await page.check('#goal_1_kind-practice');
  await fillDate(page, 'goal_1_target_date', { day: '1', month: '13', year: '2027' });
  await page.fill('#goal_1_aim', 'An aim');
  res = await post('button[value="submit"]');
  assert.ok(res.status() >= 400, 'submission refused');
  await check(failures, page, `plan refused (no JS, ${res.status()})`);

  for (const p of MEMBER_PAGES) {
    await page.goto(url(p));
    await check(failures, page, `${p}, working group (no JS)`);
  }

  assert.deepEqual(failures, [], '\n' + failures.join('\n'));
  await member.context.close();
});

test('a group whose plan is submitted: the confirmation, the task list, the status', async () => {
  const failures = [];
  const { links, sessions } = await apiFormGroup(makeGroup(ids, 'axe-submitted', 1));
  for (const s of [sessions.lead, ...sessions.peers]) await apiCheckOff(s, ACTIVITIES);
  const res = await fetch(url('/api/me/pip'), {
    method: 'POST',
    headers: { Accept: 'application/json', Authorization: `Bearer ${sessions.lead}` },
    body: new URLSearchParams({
      action: 'submit', strengths: 'Shared on-call.', improvements: 'Screening recall.',
      goal_1_kind: 'practice', goal_1_aim: 'More patients screened', goal_1_measure: 'FIT in 2 years', goal_1_baseline: '50%',
      goal_1_target: '70%', 'goal_1_target_date-day': '30', 'goal_1_target_date-month': '6', 'goal_1_target_date-year': '2027',
      goal_1_change_ideas: 'Recall list',
      goal_2_kind: 'practice', goal_2_aim: 'Fewer missed follow-ups', goal_2_measure: 'Follow-ups booked', goal_2_baseline: '60%',
      goal_2_target: '90%', 'goal_2_target_date-day': '31', 'goal_2_target_date-month': '3', 'goal_2_target_date-year': '2027',
      goal_2_change_ideas: 'Book before leaving',
    }),
  });
  assert.equal(res.status, 200, `submitting the plan: ${await res.text()}`);
  const m = await signedIn(browser, links.lead);
  for (const p of ['/api/me/pip?submitted=1', ...MEMBER_PAGES]) {
    await m.page.goto(url(p));
    await check(failures, m.page, `${p}, plan submitted`);
  }
  assert.equal(await m.page.locator('h1').count(), 1);
  assert.deepEqual(failures, [], '\n' + failures.join('\n'));
  assert.deepEqual(m.problems, []);
  await m.context.close();
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

  // The lead of a proposal: the group page and the task list.
  await signInWith(lead.page, leadLink, '/api/me/group');
  await check(failures, lead.page, '/api/me/group, lead reviewing the proposal');
  await lead.page.goto(url('/api/me'));
  assert.equal(await lead.page.locator('.qi-tag', { hasText: 'Action needed' }).count(), 1, 'the task list shows the proposal to review');
  await check(failures, lead.page, '/api/me, proposal waiting');

  // An invited peer.
  const peer = await person(browser);
  await signInWith(peer.page, invited.peerLinks[0], '/api/me/group');
  await check(failures, peer.page, '/api/me/group, invited peer');
  await peer.page.goto(url('/api/me'));
  assert.equal(await peer.page.locator('.qi-tag', { hasText: 'Action needed' }).count(), 1, 'the task list shows the invitation');
  await check(failures, peer.page, '/api/me, invitation waiting');

  // The lead of a confirmed group nobody has joined yet.
  const confirmed = await person(browser);
  await signInWith(confirmed.page, invited.leadLink, '/api/me');
  await check(failures, confirmed.page, '/api/me, confirmed, no peer yet');
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
  await dl.page.goto(url('/api/me'));
  await check(failures, dl.page, '/api/me, group dissolved');

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
  await press(m.page, m.page.getByRole('button', { name: 'Sign out', exact: true }), '/me/signed-out/');
  await check(failures, m.page, '/me/signed-out/ after signing out');
  await m.page.goto(url('/api/me'));
  assert.match(await m.page.locator('h1').innerText(), /^Sign in to see your group$/);
  await check(failures, m.page, '/api/me after signing out');
  assert.deepEqual(failures, [], '\n' + failures.join('\n'));
  for (const x of [p, m]) { assert.deepEqual(x.problems, []); await x.context.close(); }
});
