// 6. Screenshots of the main pages at desktop (1280 px) and phone (375 px)
// widths, full page, written to tests/browser/screenshots/ (committed, so a
// reviewer sees the look of the pages in a diff). The data entered is fixed
// (names, dates), so only what the server dates itself (today) changes from
// one run to the next. Also fails if a page does not render what it is for.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import {
  launch, url, screenshot, person, cpsoBlock, apiFormGroup, apiCheckOff, ACTIVITIES, SCREENSHOTS, addressOnFile,
} from './helpers.js';
import { signedIn } from './setup.js';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const SIZES = { desktop: { width: 1280, height: 900 }, phone: { width: 375, height: 800 } };
const DONE_ON = '2026-11-02';

/* A group with fixed names: the lead and two peers. */
function fixedGroup(ids, name) {
  const cpso = ids.lead();
  return {
    lead: { cpso, name: 'Dr. Amira Haddad', email: addressOnFile(cpso), language: 'en' },
    group: { name, setting: 'Family health team, Sudbury' },
    peers: [
      { cpso: ids.peer(), name: 'Dr. Jean Tremblay', email: `jean.${cpso}@example.org`, language: 'fr' },
      { cpso: ids.peer(), name: 'Dr. Grace Okafor', email: `grace.${cpso}@example.org`, language: 'en' },
    ],
  };
}

const PLAN = {
  strengths: 'Shared EMR templates; strong nursing support.',
  improvements: 'Colorectal cancer screening recall; documenting medication reviews.',
  goal_1_kind: 'practice', goal_1_aim: 'Raise the share of eligible patients screened for colorectal cancer from 52% to 70%',
  goal_1_measure: 'Eligible patients with a FIT in the last 2 years, from the EMR', goal_1_baseline: '52%', goal_1_target: '70%',
  'goal_1_target_date-day': '30', 'goal_1_target_date-month': '6', 'goal_1_target_date-year': '2027',
  goal_1_change_ideas: 'A recall list each quarter; a reminder in the chart',
  goal_1_measure_kind: 'proportion', goal_1_measure_counted: 'Patients aged 50 to 74 with a FIT in the last 2 years, of the eligible patients on the roster',
  goal_1_measure_source: 'emr_report', goal_1_measure_period: 'month', goal_1_measure_direction: 'higher_is_better',
  goal_1_baseline_value: '52', goal_1_target_value: '70',
  goal_2_kind: 'self_care', goal_2_aim: 'Each member takes a protected lunch break four days a week',
  goal_2_measure: 'Days with a break, self-reported weekly', goal_2_baseline: '1 a week', goal_2_target: '4 a week',
  'goal_2_target_date-day': '31', 'goal_2_target_date-month': '1', 'goal_2_target_date-year': '2027',
  goal_2_change_ideas: 'Block the schedule at noon',
  goal_3_kind: 'practice', goal_3_aim: 'Every patient on a long-term opioid has a treatment agreement',
  goal_3_measure: 'Patients on opioids with an agreement in the chart', goal_3_baseline: '30%', goal_3_target: '90%',
  'goal_3_target_date-day': '31', 'goal_3_target_date-month': '3', 'goal_3_target_date-year': '2027',
  goal_3_change_ideas: 'Flag in the EMR; review at each renewal',
};

/* `YYYY-MM` of the month `back` months before this one. */
function monthKey(back) {
  const d = new Date();
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() - back);
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

/* Fourteen months of goal 1 (of 200 eligible patients a month) and a PDSA cycle eight months ago. */
async function recordMeasures(sessions) {
  const values = [104, 98, 106, 101, 99, 103, 118, 122, 125, 131, 128, 134, 137, 140];
  for (const [i, n] of values.entries()) {
    const res = await fetch(url('/api/me/goals/1/points'), {
      method: 'POST',
      headers: { Accept: 'application/json', Authorization: `Bearer ${sessions.lead}` },
      body: new URLSearchParams({ period: monthKey(values.length - i), numerator: String(n), denominator: '200' }),
    });
    assert.equal(res.status, 200, `a data point: ${await res.text()}`);
  }
  const res = await fetch(url('/api/me/goals/1/cycles'), {
    method: 'POST',
    headers: { Accept: 'application/json', Authorization: `Bearer ${sessions.peers[0]}` },
    body: new URLSearchParams({ change_idea: 'Quarterly recall list', plan: 'The nurse mails FIT kits to everyone overdue on the list', prediction: '60% screened within three months', started_on: `${monthKey(8)}-01` }),
  });
  assert.equal(res.status, 200, `a cycle: ${await res.text()}`);
}

async function postPlan(session, action) {
  const res = await fetch(url('/api/me/pip'), {
    method: 'POST',
    headers: { Accept: 'application/json', Authorization: `Bearer ${session}` },
    body: new URLSearchParams({ action, ...PLAN }),
  });
  assert.equal(res.status, 200, `plan ${action}: ${await res.text()}`);
}

test('screenshots of the main pages at desktop and phone widths', async () => {
  fs.rmSync(SCREENSHOTS, { recursive: true, force: true });
  const ids = cpsoBlock(8);
  // Working: the lead has done everything, one peer half, one nothing; a draft is saved.
  const working = await apiFormGroup(fixedGroup(ids, 'Riverside FHT screening'));
  await apiCheckOff(working.sessions.lead, ACTIVITIES, DONE_ON);
  await apiCheckOff(working.sessions.peers[0], ACTIVITIES.slice(0, 2), DONE_ON);
  await postPlan(working.sessions.lead, 'save');
  await recordMeasures(working.sessions);
  // Submitted: every member done, the plan submitted.
  const done = await apiFormGroup(fixedGroup(ids, 'Lakeside palliative care'));
  for (const s of [done.sessions.lead, ...done.sessions.peers]) await apiCheckOff(s, ACTIVITIES, DONE_ON);
  await postPlan(done.sessions.lead, 'save');
  await postPlan(done.sessions.lead, 'submit');

  const written = [];
  for (const [size, viewport] of Object.entries(SIZES)) {
    const shoot = async (page, name, selector) => {
      assert.ok(await page.locator(selector).first().isVisible(), `${name} shows ${selector}`);
      written.push(await screenshot(page, `${name}-${size}`, SCREENSHOTS));
    };
    const visitor = await person(browser, { context: { viewport } });
    const v = visitor.page;
    await v.goto(url('/'));
    await shoot(v, 'home', 'h1');
    await v.goto(url('/contact/'));
    await shoot(v, 'contact', 'h1');
    await v.goto(url('/groups/sign-up/'));
    await shoot(v, 'sign-up', 'form#sign-up-form');
    await v.fill('#lead_cpso', '12ab');
    await v.fill('#lead_name', 'Dr. Amira Haddad');
    await v.fill('#peer_1_email', 'not-an-address');
    await v.click('#sign-up-form button[type="submit"]');
    await v.waitForFunction(() => document.activeElement && document.activeElement.hasAttribute('data-qi-error-summary'));
    await v.evaluate(() => window.scrollTo(0, 0));
    await shoot(v, 'sign-up-refused', '[data-qi-error-summary]');
    await v.goto(url('/api/me'));
    await shoot(v, 'member-signed-out', 'a[href="/me/new-link/"]');
    // The same pages in French.
    await v.goto(url('/fr/'));
    await shoot(v, 'fr-home', 'h1');
    await v.goto(url('/fr/groupes/inscription/'));
    await shoot(v, 'fr-sign-up', 'form#sign-up-form');
    await visitor.context.close();

    const member = await signedIn(browser, working.links.lead, { context: { viewport } });
    const m = member.page;
    await m.goto(url('/api/me'));
    await shoot(m, 'task-list', '.qi-task-list');
    await m.goto(url('/api/me/activities'));
    await shoot(m, 'activities', 'form[data-qi-form="activity"]');
    await m.goto(url('/api/me/pip'));
    await shoot(m, 'plan', 'form#pip-form');
    await m.goto(url('/api/me/measures'));
    await shoot(m, 'measures', '.qi-measure');
    await m.goto(url('/api/me/goals/1'));
    await shoot(m, 'goal', 'svg.qi-chart');
    await m.goto(url('/api/me/status'));
    await shoot(m, 'status', 'table.qi-table-responsive');
    await m.goto(url('/api/me/group'));
    await shoot(m, 'group', '.qi-member-list');
    await member.context.close();

    // Dr. Tremblay reads French: the measures and the goal's page in French.
    const french = await signedIn(browser, working.links.peers[0], { context: { viewport } });
    await french.page.goto(url('/api/me/measures'));
    await shoot(french.page, 'fr-measures', '.qi-measure');
    await french.page.goto(url('/api/me/goals/1'));
    await shoot(french.page, 'fr-goal', 'svg.qi-chart');
    await french.context.close();

    const finished = await signedIn(browser, done.links.lead, { context: { viewport } });
    const f = finished.page;
    await f.goto(url('/api/me/pip?submitted=1'));
    await shoot(f, 'plan-submitted', '.qi-panel--confirmation');
    await f.goto(url('/api/me'));
    await shoot(f, 'task-list-submitted', '.qi-task-list');
    await finished.context.close();
  }
  for (const file of written) assert.ok(fs.statSync(file).size > 5000, `${file} is a real image`);
});
