// Shared helpers for the browser tests: the running `qi serve`, headless
// Chromium through playwright-core, the dev outbox, axe-core, screenshots.
//
// The suite builds and starts nothing: scripts/test.d/30-browser.sh starts
// `qi serve` and passes its address in QI_BASE_URL. A missing prerequisite
// throws (the tests fail), never skips.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const HERE = path.dirname(fileURLToPath(import.meta.url));
export const ARTIFACTS = path.join(HERE, 'artifacts');
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

/* Test data: CPSO numbers are allocated per test file from a block that the
   harness put on the invitation list (leads) or left off it (peers). */
export function cpsoBlock(block) {
  let next = 0;
  return {
    lead: () => String(100000 + block * 100 + (next++)),        // invited
    peer: () => String(500000 + block * 100 + (next++)),        // not invited
    uninvited: () => String(700000 + block * 100 + (next++)),
  };
}

export function fmtDate(d) { return d.toISOString().slice(0, 10); }
export function daysAgo(n) { const d = new Date(); d.setUTCDate(d.getUTCDate() - n); return fmtDate(d); }

export async function outbox() {
  const res = await fetch(url('/api/outbox'), { headers: { Accept: 'application/json' } });
  assert.equal(res.status, 200, 'GET /api/outbox answers 200 on the dev server');
  const body = await res.json();
  return Array.isArray(body) ? body : (body.emails || body.messages || []);
}

/* The personal link emailed to `email` (newest first in the outbox). */
export async function linkFor(email) {
  for (let i = 0; i < 20; i++) {
    const mail = (await outbox()).find((m) => String(m.to).toLowerCase().includes(email.toLowerCase()));
    if (mail) {
      assert.ok(mail.link, `the email to ${email} carries a personal link`);
      // Links are built on the public base URL; follow them on the test server.
      const u = new URL(mail.link, BASE);
      return BASE + u.pathname + u.search;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`no email to ${email} in the outbox`);
}

/* Fill the sign-up form. peers: [{cpso,name,email,language}] */
export async function fillSignUp(page, { lead, group, peers }, { js = true } = {}) {
  await page.fill('#lead_cpso', lead.cpso);
  await page.fill('#lead_name', lead.name);
  await page.fill('#lead_email', lead.email);
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

export function makeGroup(ids, tag) {
  return {
    lead: { cpso: ids.lead(), name: `Dr. Lead ${tag}`, email: `lead.${tag}@example.org`, language: 'en' },
    group: { name: `Group ${tag}`, setting: 'Family health team, Sudbury' },
    peers: [
      { cpso: ids.peer(), name: `Dr. Peer One ${tag}`, email: `peer1.${tag}@example.org`, language: 'fr' },
      { cpso: ids.peer(), name: `Dr. Peer Two ${tag}`, email: `peer2.${tag}@example.org`, language: 'en' },
    ],
  };
}

/* Sign up a group through the JSON API (for tests that need one quickly). */
export async function apiSignUp(g) {
  const body = new URLSearchParams({
    group_name: g.group.name, practice_setting: g.group.setting,
    lead_cpso: g.lead.cpso, lead_name: g.lead.name, lead_email: g.lead.email, lead_language: g.lead.language,
    website: '',
  });
  g.peers.forEach((p, i) => {
    const n = i + 1;
    body.set(`peer_${n}_cpso`, p.cpso); body.set(`peer_${n}_name`, p.name);
    body.set(`peer_${n}_email`, p.email); body.set(`peer_${n}_language`, p.language);
  });
  const res = await fetch(url('/api/groups'), { method: 'POST', body, headers: { Accept: 'application/json' } });
  const json = await res.json();
  assert.equal(res.status, 201, `sign-up through the API: ${JSON.stringify(json)}`);
  return json;
}

export const ACTIVITIES = ['qi_survey', 'practice_profile', 'chart_review', 'data_driven_qi'];

/* Check off activities through the API as the member whose link is given. */
export async function apiCheckOff(link, activities, date = daysAgo(3)) {
  const code = new URL(link).searchParams.get('code');
  for (const activity of activities) {
    const res = await fetch(url('/api/me/activities'), {
      method: 'POST',
      headers: { Accept: 'application/json', Authorization: `Bearer ${code}` },
      body: new URLSearchParams({ activity, completed_on: date, done: 'true' }),
    });
    assert.equal(res.status, 200, `check-off ${activity}: ${await res.text()}`);
  }
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

export const FORM_PAGES = ['/groups/sign-up/', '/me/', '/me/pip/', '/me/status/', '/support/ask/'];
/* Confirmation pages are left out of navigation and the sitemap ([extra] hidden). */
export const CONFIRMATION_PAGES = ['/groups/sign-up/done/', '/me/pip/saved/', '/me/pip/submitted/', '/support/ask/done/'];

export async function screenshot(page, name) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

export async function activeInfo(page) {
  return page.evaluate(() => {
    const a = document.activeElement;
    return a ? { tag: a.tagName, id: a.id, name: a.getAttribute('name'), text: (a.textContent || '').trim().slice(0, 60), cls: a.className } : null;
  });
}
