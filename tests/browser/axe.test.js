// 5. axe-core finds no WCAG 2.0/2.1 A or AA violation on any page of the
// built site (signed in and signed out), on the forms in their error
// states, and on the server's HTML pages (error pages, status view, PIP and
// activities pages, 404).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, person, url, sitemapPaths, FORM_PAGES, CONFIRMATION_PAGES, axe, describeViolations, cpsoBlock, makeGroup,
} from './helpers.js';
import { memberGroup, signedIn, settled } from './setup.js';

let browser;
let group;
before(async () => {
  browser = await launch();
  group = await memberGroup(6, 'axe');
});
after(async () => { await browser?.close(); });

function collect(failures, where, violations) {
  if (violations.length) failures.push(describeViolations(where, violations));
}

test('every page of the site, signed in and signed out', async () => {
  const paths = [...new Set([...(await sitemapPaths()), ...FORM_PAGES, ...CONFIRMATION_PAGES, '/no-such-page/'])];
  const member = await signedIn(browser, group.links.lead);
  const stranger = await person(browser);
  const failures = [];
  for (const p of paths) {
    for (const [who, ctx] of [['member', member], ['signed out', stranger]]) {
      await ctx.page.goto(url(p));
      await settled(ctx.page);
      assert.equal(await ctx.page.locator('h1').count(), 1, `${p} (${who}) has exactly one h1`);
      collect(failures, `${p} (${who})`, await axe(ctx.page));
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

  // Sign-up: client-side errors, then a server-side error mapped to a field.
  await page.goto(url('/groups/sign-up/'));
  await page.fill('#lead_email', 'nope');
  await page.click('button[data-qi-add="peer"]');
  await page.fill('#peer_2_name', 'Dr. Half Row');
  await page.click('#sign-up-form button[type="submit"]');
  await page.locator('.qi-error-summary').waitFor();
  collect(failures, 'sign-up, browser errors', await axe(page));
  const g = makeGroup(cpsoBlock(7), 'axe-uninvited');
  await page.goto(url('/groups/sign-up/'));
  await page.fill('#lead_cpso', cpsoBlock(7).uninvited());
  await page.fill('#lead_name', g.lead.name);
  await page.fill('#lead_email', g.lead.email);
  await page.fill('#group_name', g.group.name);
  await page.fill('#practice_setting', g.group.setting);
  await page.fill('#peer_1_cpso', g.peers[0].cpso);
  await page.fill('#peer_1_name', g.peers[0].name);
  await page.fill('#peer_1_email', g.peers[0].email);
  await page.click('#sign-up-form button[type="submit"]');
  await page.locator('.qi-error-summary').waitFor();
  assert.equal(await page.getAttribute('#lead_cpso', 'aria-invalid'), 'true', 'the server\'s error is tied to the lead\'s CPSO field');
  collect(failures, 'sign-up, server error (lead not invited)', await axe(page));

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
  // Forget the unsaved local edit (the emptied aim), so the saved draft loads.
  await page.evaluate(() => localStorage.clear());
  await page.reload();
  await settled(page);
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
  // Plain form posts in a browser whose forms.js is blocked (so the form is
  // sent natively), but which can still run axe.
  const member = await signedIn(browser, group.links.peer2);
  await member.context.route('**/*.js', (r) => r.abort());
  const page = member.page;
  const failures = [];
  const post = async (selector) => {
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST' && r.request().isNavigationRequest()),
      page.click(selector),
    ]);
    await page.waitForLoadState('load');
    return res;
  };

  await page.goto(url('/groups/sign-up/'));
  await page.fill('#lead_cpso', 'x1');
  await page.fill('#peer_3_email', 'broken@');
  let res = await post('#sign-up-form button[type="submit"]');
  assert.equal(res.status(), 400);
  collect(failures, 'server error page: sign-up', await axe(page));

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
  const [r401] = await Promise.all([
    stranger.page.waitForResponse((r) => r.request().method() === 'POST'),
    stranger.page.click('[data-qi-activity="qi_survey"] button[value="true"]'),
  ]);
  await stranger.page.waitForLoadState('load');
  assert.equal(r401.status(), 401);
  collect(failures, 'server 401 page', await axe(stranger.page));

  assert.deepEqual(failures, [], '\n' + failures.join('\n'));
  await member.context.close();
  await stranger.context.close();
});
