// Shared helpers for the browser tests: the running `qi serve`, headless
// Chromium through playwright-core, the dev outbox, the verified sign-up
// journey (docs/trust.md), axe-core, screenshots.
//
// The suite builds and starts nothing: scripts/test.d/30-browser.sh starts
// `qi serve` and passes its address in QI_BASE_URL. A missing prerequisite
// throws (the tests fail), never skips.
//
// Nothing here sleeps for a fixed time: every wait is for a state (a URL, a
// selector, a response, an email in the outbox).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ARTIFACTS = path.join(HERE, 'artifacts');
/* Screenshots committed with the code (screenshots.test.js), so a reviewer
   sees the look of the pages in a diff. */
export const SCREENSHOTS = path.join(HERE, 'screenshots');
export const BASE = (process.env.QI_BASE_URL || '').replace(/\/$/, '');
const CHROMIUM = process.env.QI_CHROMIUM || '/usr/bin/chromium';
const AXE_PATH = path.join(HERE, 'node_modules', 'axe-core', 'axe.min.js');

if (!BASE) throw new Error('QI_BASE_URL is not set: run the browser tests through scripts/test.d/30-browser.sh');
if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: run scripts/install-test-deps`);
if (!fs.existsSync(AXE_PATH)) throw new Error('axe-core is not installed: run npm ci in tests/browser (scripts/install-test-deps does)');

export async function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export function url(p) { return BASE + p; }

/* A fresh browser context (its own cookies and storage: one person). */
export async function person(browser, opts = {}) {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 900 },
    javaScriptEnabled: opts.js !== false,
    ...opts.context,
  });
  context.setDefaultTimeout(15000);
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    // 4xx answers of the API are expected (signed out, refused forms); a
    // missing favicon is not a script error.
    const where = msg.location().url || '';
    if (msg.type() !== 'error' || /favicon\.ico$/.test(where)) return;
    if (/status of 4\d\d/.test(msg.text()) && /\/api\//.test(where)) return;
    problems.push(`console: ${msg.text()} (${where})`);
  });
  return { context, page, problems };
}

/* Test data. 30-browser.sh puts CPSO numbers 1BB0NN (NN = 00..19) on the
   invitation list for block BB = 1..9, each with the address on file
   invited.1BB0NN@example.org. Each test file takes a block; leads come from
   its 20 invited numbers, peers (5BBnnn) and the uninvited (7BBnnn) from
   numbers nobody invited. */
export const LEADS_PER_BLOCK = 20;
export function cpsoBlock(block) {
  assert.ok(block >= 1 && block <= 9, `block ${block} is one that 30-browser.sh invites`);
  let leads = 0;
  let others = 0;
  return {
    lead: () => {
      assert.ok(leads < LEADS_PER_BLOCK, `block ${block} has no invited lead left (${LEADS_PER_BLOCK} per block)`);
      return String(100000 + block * 100 + (leads++));
    },
    peer: () => String(500000 + block * 1000 + (others++)),
    uninvited: () => String(700000 + block * 1000 + (others++)),
  };
}
/* The address on the invitation list for an invited CPSO number (30-browser.sh). */
export function addressOnFile(cpso) { return `invited.${cpso}@example.org`; }

export function fmtDate(d) { return d.toISOString().slice(0, 10); }
export function daysAgo(n) { const d = new Date(); d.setUTCDate(d.getUTCDate() - n); return fmtDate(d); }
export const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October',
  'November', 'December'];
/* "2026-12-01" as the pages write it: "1 December 2026". */
export function longDate(iso) {
  const [y, m, d] = iso.split('-').map(Number);
  return `${d} ${MONTHS[m - 1]} ${y}`;
}
/* "2026-12-01" as the three date fields: { day: '1', month: '12', year: '2026' }. */
export function dateParts(iso) {
  const [y, m, d] = iso.split('-').map(Number);
  return { day: String(d), month: String(m), year: String(y) };
}

/* ------------------------------------------------------------ outbox --- */

export async function outbox() {
  const res = await fetch(url('/api/outbox'), { headers: { Accept: 'application/json' } });
  assert.equal(res.status, 200, 'GET /api/outbox answers 200 on the dev server');
  const body = await res.json();
  return Array.isArray(body) ? body : (body.emails || body.messages || []);
}

/* A mark in the outbox: mailsSince(mark) lists what was sent after it. The
   dev server writes an email before it answers the request that sends it,
   so the outbox is read once the request's answer is in. */
export async function outboxMark() {
  return new Set((await outbox()).map((m) => m.file));
}
export async function mailsSince(mark) {
  return (await outbox()).filter((m) => !mark.has(m.file));
}
export function mailTo(mails, email) {
  return mails.filter((m) => String(m.to).toLowerCase().includes(`<${email.toLowerCase()}>`) ||
    String(m.to).toLowerCase() === email.toLowerCase());
}

/* Links are built on the public base URL; follow them on the test server. */
export function localLink(link) {
  const u = new URL(link, BASE);
  return BASE + u.pathname + u.search;
}
export function codeOf(link) { return new URL(link).searchParams.get('code'); }

/* The personal link of the newest email with a link to `email` (sent after
   `mark`, when given). */
export async function linkFor(email, mark) {
  const mails = mailTo(mark ? await mailsSince(mark) : await outbox(), email).filter((m) => m.link);
  assert.ok(mails.length, `an email with a personal link went to ${email}`);
  return localLink(mails[0].link);
}

/* ----------------------------------------------------------- the form --- */

/* Fill the sign-up form (there is no lead email: the lead is reached at the
   address on file). peers: [{cpso,name,email,language}] */
export async function fillSignUp(page, { lead, group, peers }, { js = true } = {}) {
  await page.fill('#lead_cpso', lead.cpso);
  await page.fill('#lead_name', lead.name);
  await page.check(`#lead_language-${lead.language || 'en'}`);
  await page.fill('#group_name', group.name);
  await page.fill('#practice_setting', group.setting);
  for (let i = 0; i < peers.length; i++) {
    const n = i + 1;
    if (js && n > 1) await page.click('button[data-qi-add="peer"]');
    await page.fill(`#peer_${n}_cpso`, peers[i].cpso);
    await page.fill(`#peer_${n}_name`, peers[i].name);
    await page.fill(`#peer_${n}_email`, peers[i].email);
    await page.selectOption(`#peer_${n}_language`, peers[i].language || 'en');
  }
}

/* A group to propose: an invited lead (email = the address on file) and
   `peers` peers whose addresses carry the tag. */
/* Everyone reads English (their pages follow their recorded language):
   french.test.js makes French-speaking groups. */
export function makeGroup(ids, tag, peers = 2) {
  const cpso = ids.lead();
  const words = ['One', 'Two', 'Three', 'Four', 'Five', 'Six'];
  return {
    lead: { cpso, name: `Dr. Lead ${tag}`, email: addressOnFile(cpso), language: 'en' },
    group: { name: `Group ${tag}`, setting: 'Family health team, Sudbury' },
    peers: Array.from({ length: peers }, (_, i) => ({
      cpso: ids.peer(), name: `Dr. Peer ${words[i]} ${tag}`, email: `peer${i + 1}.${tag}@example.org`, language: 'en',
    })),
  };
}
/* A peer to invite later from the group page. */
export function makePeer(ids, tag, n) {
  return { cpso: ids.peer(), name: `Dr. Peer Later ${tag}`, email: `peer${n}.${tag}@example.org`, language: 'en' };
}

export const CHECK_YOUR_EMAIL = '/groups/sign-up/check-your-email/';
export const SAME_ANSWER = 'If this CPSO number is on this cycle\'s invitation list, we have emailed the physician at the address on file.';
/* Page text with typographic apostrophes as typed ones (the site's
   Markdown writes ’). */
export function plain(text) { return text.replace(/[\u2018\u2019]/g, "'"); }
/* The page's h1, as plain text. */
export async function h1(page) { return plain((await page.locator('h1').innerText()).trim()); }

/* ------------------------------------------------------ through the API --- */

async function apiCall(method, p, { session, body } = {}) {
  const headers = { Accept: 'application/json' };
  if (session) headers.Authorization = `Bearer ${session}`;
  if (body) headers['Content-Type'] = 'application/json';
  const res = await fetch(url(p), { method, headers, body: body ? JSON.stringify(body) : undefined });
  const text = await res.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch { json = null; }
  return { status: res.status, json, text };
}

/* Propose a group through the JSON API: 202, the same answer for anyone. */
export async function apiSignUp(g) {
  const r = await apiCall('POST', '/api/groups', {
    body: {
      group_name: g.group.name, practice_setting: g.group.setting,
      lead: { cpso: g.lead.cpso, name: g.lead.name, language: g.lead.language },
      peers: g.peers.map((p) => ({ cpso: p.cpso, name: p.name, email: p.email, language: p.language })),
      website: '',
    },
  });
  assert.equal(r.status, 202, `proposing a group through the API: ${r.text}`);
  assert.equal(r.json.message, SAME_ANSWER);
  return r.json;
}

/* Exchange a link's code for a session token (what the Sign in button does). */
export async function apiSignIn(link) {
  const r = await apiCall('POST', '/api/access', { body: { code: codeOf(link) } });
  assert.equal(r.status, 200, `signing in through the API: ${r.text}`);
  assert.ok(r.json.session, 'the answer carries a session token');
  return r.json.session;
}

export async function apiPost(session, p, body) {
  const r = await apiCall('POST', p, { session, body });
  assert.ok(r.status >= 200 && r.status < 300, `POST ${p}: ${r.status} ${r.text}`);
  return r.json;
}
export async function apiGet(session, p) { return apiCall('GET', p, { session }); }

/* A group formed through the API: proposed, confirmed by the lead, and
   accepted by the peers listed in `accept` (indices; default all).
   Returns links (the emailed ones) and sessions (API tokens). */
export async function apiFormGroup(g, { accept } = {}) {
  const mark = await outboxMark();
  await apiSignUp(g);
  const lead = await linkFor(g.lead.email, mark);
  const leadSession = await apiSignIn(lead);
  const confirmed = await outboxMark();
  await apiPost(leadSession, '/api/me/proposal/confirm');
  const links = { lead, peers: [] };
  const sessions = { lead: leadSession, peers: [] };
  for (const [i, p] of g.peers.entries()) {
    const link = await linkFor(p.email, confirmed);
    links.peers.push(link);
    if (accept && !accept.includes(i)) { sessions.peers.push(null); continue; }
    const s = await apiSignIn(link);
    await apiPost(s, '/api/me/invitation/accept');
    sessions.peers.push(s);
  }
  return { g, links, sessions };
}

export const ACTIVITIES = ['qi_survey', 'practice_profile', 'chart_review', 'data_driven_qi'];

/* Check off activities through the API as the member whose session is given. */
export async function apiCheckOff(session, activities, date = daysAgo(3)) {
  for (const activity of activities) {
    const r = await apiCall('POST', '/api/me/activities', { session, body: { activity, completed_on: date, done: true } });
    assert.equal(r.status, 200, `check-off ${activity}: ${r.text}`);
  }
}

/* ------------------------------------------------------ in the browser --- */

/* The sign-in page an emailed link opens: one button, nothing changed yet. */
export async function openSignInPage(page, link) {
  const res = await page.goto(link);
  assert.equal(res.status(), 200, 'the sign-in page answers 200');
  assert.equal(await page.locator('h1').innerText(), 'Sign in to QI Groups');
  assert.equal(await page.locator('main form button').count(), 1, 'the page has one button');
  return res;
}

/* Open the link, press Sign in; wait for where the server sends the member
   (/api/me/group while something waits for an answer, else the task list
   /api/me). */
export async function signInWith(page, link, expect) {
  await openSignInPage(page, link);
  await press(page, page.locator('main form button', { hasText: 'Sign in' }), (u) => u.pathname === '/api/me/group' || u.pathname === '/api/me');
  if (expect) assert.equal(new URL(page.url()).pathname, expect, `signing in leads to ${expect}`);
  return page.url();
}

/* Press a button that posts a form; return the answer to the POST. With
   `where` (a pathname, or a test of the URL), the answer must be a redirect
   that leads there: anything else fails with the page the server sent. */
export async function press(page, locator, where) {
  const target = typeof locator === 'string' ? page.locator(locator) : locator;
  /* With JavaScript, forms.js may send the form with fetch and show the
     answer in place; it then counts the answer on <html data-qi-answers>. */
  const before = await page.evaluate(() => Number(document.documentElement.getAttribute('data-qi-answers') || 0)).catch(() => 0);
  const from = new URL(page.url()).pathname;
  const [res] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && !r.request().redirectedFrom()
      && (r.request().isNavigationRequest() || r.request().resourceType() === 'fetch')),
    target.click(),
  ]);
  if (!res.request().isNavigationRequest()) {
    /* forms.js either shows the answer in place (and counts it) or goes to
       another page: wait for whichever happens. A count that cannot be read
       because the page went away means the page went away. (`from` is
       read before the click: the page may have gone by now.) */
    const moved = page.waitForURL((u) => u.pathname !== from).then(() => true, () => false);
    const counted = page.waitForFunction((n) => Number(document.documentElement.getAttribute('data-qi-answers') || 0) > n, before)
      .then(() => true, () => moved);
    assert.ok(await Promise.race([moved, counted]), `the answer to POST ${new URL(res.url()).pathname} was never shown`);
  }
  if (where) {
    const ok = typeof where === 'function' ? where : (u) => u.pathname === where;
    if (res.status() < 300 || res.status() > 399) {
      await page.waitForLoadState('load');
      const text = await page.locator('main').innerText().catch(() => '');
      assert.fail(`POST ${new URL(res.url()).pathname} answered ${res.status()}, not a redirect: ${text.replace(/\s+/g, ' ').slice(0, 300)}`);
    }
    await page.waitForURL(ok);
  }
  await page.waitForLoadState('load');
  return res;
}

/* The answer to the page's next POST to `pathname` (status, headers, body),
   read as it arrives: a script that navigates away on success would make
   the body unreadable from the browser's own record. Call before the
   POST; await its `answer` after it. */
export async function captureAnswer(page, pathname) {
  let resolve;
  const answer = new Promise((r) => { resolve = r; });
  const match = (u) => new URL(u).pathname === pathname;
  const handler = async (route) => {
    if (route.request().method() !== 'POST') return route.fallback();
    const resp = await route.fetch({ maxRedirects: 0 });
    const body = await resp.text();
    resolve({ status: resp.status(), headers: resp.headers(), body });
    await route.fulfill({ response: resp, body });
    await page.unroute(match, handler);
  };
  await page.route(match, handler);
  return { answer };
}

/* GET /api/me with this browser's cookies. */
export async function meStatus(context) {
  const r = await context.request.get(url('/api/me'), { headers: { Accept: 'application/json' } });
  return r.status();
}
export async function sessionCookie(context) {
  return (await context.cookies(url('/'))).find((c) => /qi_session$/.test(c.name));
}

/* Run axe-core on the current page; returns the violations. */
export async function axe(page) {
  const source = fs.readFileSync(AXE_PATH, 'utf8');
  await page.evaluate(source);
  return page.evaluate(async () => {
    const result = await window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
      resultTypes: ['violations'],
    });
    return result.violations.map((v) => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => `${n.target.join(' ')}: ${n.failureSummary.replace(/\s+/g, ' ')}`),
    }));
  });
}

export function describeViolations(where, violations) {
  return `${where}:\n` + violations.map((v) => `  [${v.impact}] ${v.id}: ${v.help}\n    ` + v.nodes.join('\n    ')).join('\n');
}

/* Every page of the built site, from the sitemap the server serves. */
export async function sitemapPaths() {
  const res = await fetch(url('/sitemap.xml'));
  assert.equal(res.status, 200, 'the site has a sitemap.xml');
  const xml = await res.text();
  const paths = [...xml.matchAll(/<loc>\s*([^<\s]+)\s*<\/loc>/g)].map((m) => new URL(m[1]).pathname);
  assert.ok(paths.length >= 10, `sitemap lists the site's pages (found ${paths.length})`);
  return [...new Set(paths)].sort();
}

/* Pages left out of navigation and the sitemap ([extra] hidden), and the
   site's form pages. */
export const FORM_PAGES = ['/groups/sign-up/', '/me/', '/me/new-link/', '/support/ask/'];
export const CONFIRMATION_PAGES = [CHECK_YOUR_EMAIL, '/support/ask/done/', '/me/new-link/sent/', '/me/signed-out/'];
/* The footer's pages and the French page. */
export const FOOTER_PAGES = ['/contact/', '/accessibility/', '/privacy/', '/terms/', '/fr/'];
/* The member area: the server's pages (signed in, each has the member bar
   and the member navigation). */
export const MEMBER_PAGES = ['/api/me', '/api/me/activities', '/api/me/pip', '/api/me/status', '/api/me/group'];

export async function screenshot(page, name, dir = ARTIFACTS) {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true, animations: 'disabled', caret: 'hide' });
  return file;
}

/* ------------------------------------------------ the member pages --- */

/* Fill the three fields (day, month, year) of the date whose ids start with
   `prefix` (completed_on-qi_survey, goal_1_target_date). */
export async function fillDate(page, prefix, iso) {
  const d = typeof iso === 'string' ? dateParts(iso) : iso;
  await page.fill(`#${prefix}-day`, d.day);
  await page.fill(`#${prefix}-month`, d.month);
  await page.fill(`#${prefix}-year`, d.year);
}
export async function dateValue(page, prefix) {
  return {
    day: await page.inputValue(`#${prefix}-day`),
    month: await page.inputValue(`#${prefix}-month`),
    year: await page.inputValue(`#${prefix}-year`),
  };
}

/* The activity's section on /api/me/activities, and its buttons. */
export function activitySection(page, key) { return page.locator(`section#activity-${key}`); }
export function doneButton(page, key) { return activitySection(page, key).locator('button[name="done"][value="true"]'); }
export function notDoneButton(page, key) { return activitySection(page, key).locator('button[name="done"][value="false"]'); }

/* The tag ("Done", "Not started") of an activity on /api/me/activities. */
export async function activityTag(page, key) {
  return (await activitySection(page, key).locator('.qi-activity__head .qi-tag').innerText()).trim();
}

/* The element that has focus is the page's [data-qi-focus] notice (not the
   body): after a change made with JavaScript, forms.js moves focus there. */
export async function focusOnNotice(page) {
  await page.waitForFunction(() => {
    const a = document.activeElement;
    return !!a && a !== document.body && a.hasAttribute('data-qi-focus');
  });
  return page.evaluate(() => document.activeElement.innerText.replace(/\s+/g, ' ').trim());
}
/* Focus is on the error summary. */
export async function focusOnSummary(page) {
  await page.waitForFunction(() => {
    const a = document.activeElement;
    return !!a && a.hasAttribute('data-qi-error-summary');
  });
  return page.evaluate(() => document.activeElement.innerText.replace(/\s+/g, ' ').trim());
}

/* The error summary's links (href, text), in order. */
export async function summaryLinks(page) {
  return page.locator('[data-qi-error-summary] .qi-error-summary__list a').evaluateAll(
    (as) => as.map((a) => ({ href: a.getAttribute('href'), text: a.textContent.trim() })));
}

export async function activeInfo(page) {
  return page.evaluate(() => {
    const a = document.activeElement;
    return a ? { tag: a.tagName, id: a.id, name: a.getAttribute('name'), text: (a.textContent || '').trim().slice(0, 60), cls: a.className } : null;
  });
}
