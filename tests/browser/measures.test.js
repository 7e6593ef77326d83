// Measuring a goal, as a new group would on `qi serve`: define a proportion
// measure in the plan, record a baseline and then monthly points, log a
// PDSA cycle, and read the run chart: "not enough data" first, then a
// shift in plain words, with the median, the target and the cycle's
// marker. Without JavaScript (every form a plain POST answered by a
// redirect, or refused with the answers kept) and with it (forms.js shows
// the server's answer in place). axe checks every state of the new pages.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, url, cpsoBlock, makeGroup, apiFormGroup, apiPost, apiGet, press, fillDate, axe, describeViolations, screenshot,
} from './helpers.js';
import { signedIn } from './setup.js';

const ids = cpsoBlock(9);

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/* `YYYY-MM` of the month `back` months before this one. */
function monthKey(back) {
  const d = new Date();
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() - back);
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

/* Six baseline months (30–50%), then ten after the change (70–90%), of 10 charts each. */
const BASELINE = [3, 4, 3, 5, 4, 3];
const AFTER = [7, 7, 8, 8, 8, 9, 8, 9, 9, 9];
const FIRST_MONTH_BACK = BASELINE.length + AFTER.length; // 16 months ago
const CYCLE_MONTH_BACK = AFTER.length; // the change starts 10 months ago

async function verdict(page) {
  return (await page.locator('[data-qi-verdict]').innerText()).trim();
}

/* axe runs in the page, so only where JavaScript runs: the pages are the
   server's either way, and the JS test visits every state. */
async function noViolations(page, where, failures) {
  const v = await axe(page);
  if (v.length) failures.push(describeViolations(where, v));
}

/* Fill goal 1 of the plan form with a complete goal and its structured measure. */
async function fillMeasuredGoal(page) {
  await page.check('#goal_1_kind-practice');
  await page.fill('#goal_1_aim', 'Record allergy status on every chart');
  await page.fill('#goal_1_measure', 'Charts with allergy status recorded, of 10 charts reviewed a month');
  await page.fill('#goal_1_baseline', 'About 40%');
  await page.fill('#goal_1_target', '75%');
  await fillDate(page, 'goal_1_target_date', `${new Date().getUTCFullYear() + 1}-06-30`);
  await page.check('#goal_1_measure_kind-proportion');
  await page.fill('#goal_1_measure_counted', 'Charts with allergy status recorded (numerator), of the charts reviewed (denominator)');
  await page.selectOption('#goal_1_measure_source', 'chart_audit');
  await page.fill('#goal_1_measure_sampling', '10 random charts a month per physician');
  await page.check('#goal_1_measure_period-month');
  await page.check('#goal_1_measure_direction-higher_is_better');
  await page.fill('#goal_1_baseline_value', '40');
  await page.fill('#goal_1_target_value', '75');
  await page.fill('#goal_1_change_ideas', 'Allergy question at check-in');
}

async function recordPoint(page, back, numerator, denominator = 10) {
  await page.selectOption('#point-period', monthKey(back));
  await page.fill('#point-numerator', String(numerator));
  await page.fill('#point-denominator', String(denominator));
  await press(page, page.locator('#record button', { hasText: 'Save data point' }), (u) => u.pathname === '/api/me/goals/1');
}

test('without JavaScript: define a measure, record a baseline and monthly points, log a cycle, read the shift', async () => {
  const { links } = await apiFormGroup(makeGroup(ids, 'measure-nojs', 1));
  const { page, context, problems } = await signedIn(browser, links.lead, { js: false });

  // The plan asks for the measure's definition beside its prose.
  await page.goto(url('/api/me/pip'));
  await fillMeasuredGoal(page);
  await press(page, page.locator('#pip-form button[value="save"]'), (u) => u.pathname === '/api/me/pip');
  assert.equal(await page.locator('input[name="goal_1_id"]').inputValue(), '1', 'the goal has its stable id');
  assert.ok(await page.isChecked('#goal_1_measure_kind-proportion'), 'the saved measure shows again');

  // The member area lists the goal's measure; nothing recorded yet.
  await page.click('.qi-member-nav a:has-text("Measures")');
  assert.equal(new URL(page.url()).pathname, '/api/me/measures');
  assert.match(await page.locator('.qi-measure').first().innerText(), /No data yet/);
  await page.click('a:has-text("Goal 1: Record allergy status on every chart")');
  assert.equal(new URL(page.url()).pathname, '/api/me/goals/1');
  assert.match(await verdict(page), /^Not enough data yet to judge: 0 of the 10 points needed\.$/);

  // A refused point: answers kept, the message beside its field, "Error:" in the title.
  await page.selectOption('#point-period', monthKey(FIRST_MONTH_BACK));
  await page.fill('#point-numerator', '12');
  await page.fill('#point-denominator', '10');
  await page.fill('#point-note', 'Dr. Smith reviewed them');
  const refused = await press(page, page.locator('#record button', { hasText: 'Save data point' }));
  assert.equal(refused.status(), 400);
  assert.match(await page.title(), /^Error: /);
  assert.match(await page.locator('[data-qi-error-summary]').innerText(), /numerator/i);
  assert.equal(await page.inputValue('#point-numerator'), '12', 'the answer is kept');
  assert.equal(await page.inputValue('#point-period'), monthKey(FIRST_MONTH_BACK), 'the period is kept');
  assert.equal(await page.locator('#point-numerator-error').count(), 1, 'the message is beside the field');

  // Patient data in a note is refused.
  await page.fill('#point-numerator', '3');
  await page.fill('#point-note', 'Chart of John Smith, born 1956-04-12, had no allergy status');
  const patient = await press(page, page.locator('#record button', { hasText: 'Save data point' }));
  assert.equal(patient.status(), 400);
  assert.equal(await page.locator('#point-note-error').count(), 1, 'the note is refused beside it');
  await page.fill('#point-note', '');

  // The baseline: six months.
  for (const [i, n] of BASELINE.entries()) {
    await recordPoint(page, FIRST_MONTH_BACK - i, n);
    assert.match(await page.locator('.qi-notification--success').innerText(), /is recorded/);
  }
  assert.match(await verdict(page), /^Not enough data yet to judge: 6 of the 10 points needed\.$/);
  await screenshot(page, 'goal-not-enough-data-1280');

  // The change: a PDSA cycle starting ten months ago.
  const start = `${monthKey(CYCLE_MONTH_BACK)}-01`;
  await page.fill('#cycle-change_idea', 'Allergy question at check-in');
  await page.fill('#cycle-plan', 'Reception asks every patient about allergies at check-in for a month');
  await page.fill('#cycle-prediction', 'At least 7 of 10 charts with allergy status');
  await fillDate(page, 'cycle-started_on', start);
  await press(page, page.locator('#cycle-form button', { hasText: 'Log the cycle' }), (u) => u.pathname === '/api/me/goals/1');
  assert.match(await page.locator('.qi-timeline').innerText(), /Allergy question at check-in/);
  assert.match(await page.locator('.qi-timeline').innerText(), /Being tested/);

  // Monthly points after it: still not enough data, then a shift.
  for (const [i, n] of AFTER.entries()) {
    await recordPoint(page, CYCLE_MONTH_BACK - i, n);
    const points = BASELINE.length + i + 1;
    // Until 10 points exist the median is that of all of them, and points on it do not count.
    if (points < 10) assert.match(await verdict(page), /^Not enough data yet to judge: \d of the 10 points needed\./);
  }
  // 16 useful points: a run of 10 (limit 7) and 3 crossings (at least 4 expected).
  assert.equal(await verdict(page), 'Shift: the last 10 points are above the median, and the points cross it only 3 times where at '
    + 'least 4 would be expected; neither is likely to be chance. Higher is better, so this is an improvement.');
  const chart = page.locator('svg.qi-chart');
  assert.equal(await chart.getAttribute('role'), 'img');
  assert.equal(await chart.locator('.qi-chart__median').count(), 1, 'the median line');
  assert.equal(await chart.locator('.qi-chart__target').count(), 1, 'the target line');
  assert.equal(await chart.locator('.qi-chart__marker').count(), 1, 'the PDSA cycle is marked');
  assert.equal(await chart.locator('.qi-chart__point').count(), 16);
  assert.match(await chart.locator('desc').textContent(), /Changes marked: Allergy question at check-in/);
  assert.equal(await page.locator('.qi-chart-table tbody tr').count(), 16, 'every value in the table');
  await screenshot(page, 'goal-shift-1280');

  // Correct a point (recording the period again), then delete one.
  await page.click(`a[href="/api/me/goals/1?edit_period=${monthKey(1)}#record"]`);
  assert.equal(await page.inputValue('#point-numerator'), '9', 'the point to correct is filled in');
  await page.fill('#point-numerator', '8');
  await press(page, page.locator('#record button', { hasText: 'Save data point' }), (u) => u.pathname === '/api/me/goals/1');
  assert.match(await page.locator('.qi-notification--success').innerText(), /is corrected/);
  const rows = page.locator('#my-data tbody tr');
  assert.equal(await rows.count(), 16, 'a correction replaces the point');
  await press(page, rows.first().locator('button', { hasText: 'Delete' }), (u) => u.pathname === '/api/me/goals/1');
  assert.match(await page.locator('.qi-notification--success').innerText(), /is deleted/);
  assert.equal(await page.locator('#my-data tbody tr').count(), 15);

  // The progress page shows the goal's latest value and its signal.
  await page.goto(url('/api/me/status'));
  assert.match(await page.locator('.qi-measure').first().innerText(), /Signal of improvement/);
  await page.goto(url('/api/me/measures'));
  assert.match(await page.locator('.qi-measure').first().innerText(), /Signal of improvement/);
  // Reminders: off, then on again, from this page.
  await press(page, page.locator('#reminders button', { hasText: 'Turn reminders off' }), (u) => u.pathname === '/api/me/measures');
  assert.match(await page.locator('.qi-notification--success').innerText(), /Reminders are off/);
  await press(page, page.locator('#reminders button', { hasText: 'Turn reminders on' }), (u) => u.pathname === '/api/me/measures');
  assert.match(await page.locator('.qi-notification--success').innerText(), /Reminders are on/);

  assert.deepEqual(problems, []);
  await context.close();

  // axe on every state of the new pages, as this group shows them (with JavaScript).
  const failures = [];
  const js = await signedIn(browser, links.lead);
  for (const p of ['/api/me/measures', '/api/me/goals/1', '/api/me/goals/1?recorded=' + monthKey(2), '/api/me/goals/1?edit_cycle=1#cycle-form', '/api/me/status']) {
    await js.page.goto(url(p));
    await noViolations(js.page, p, failures);
  }
  await js.page.setViewportSize({ width: 375, height: 800 });
  await js.page.goto(url('/api/me/goals/1'));
  await noViolations(js.page, '/api/me/goals/1 at 375 px', failures);
  await screenshot(js.page, 'goal-shift-375');
  // Reflow (WCAG 1.4.10): at 320 px nothing but the data table's own box scrolls sideways.
  await js.page.setViewportSize({ width: 320, height: 800 });
  for (const p of ['/api/me/measures', '/api/me/goals/1']) {
    await js.page.goto(url(p));
    const width = await js.page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 320, `${p} at 320 px is ${width} px wide`);
    await noViolations(js.page, `${p} at 320 px`, failures);
  }
  // The opt-out link of a reminder email: a page with one button (opening
  // it changes nothing), then the same neutral answer for any well-formed
  // token. A sign-in code has an opt-out token's shape and is not one.
  await js.page.setViewportSize({ width: 1280, height: 900 });
  const token = new URL(links.lead).searchParams.get('code');
  await js.page.goto(url(`/api/reminders/opt-out?token=${encodeURIComponent(token)}`));
  await noViolations(js.page, '/api/reminders/opt-out', failures);
  await press(js.page, js.page.locator('main form button'));
  assert.equal(new URL(js.page.url()).pathname, '/api/reminders/opt-out');
  await noViolations(js.page, '/api/reminders/opt-out, answered', failures);
  await js.page.goto(url('/api/reminders/opt-out?token=cut-short'));
  await noViolations(js.page, '/api/reminders/opt-out, a broken link', failures);
  assert.deepEqual(failures, [], failures.join('\n'));
  await js.context.close();
});

test('with JavaScript: a point recorded or refused is shown in place, the verdict updates', async () => {
  const { links, sessions } = await apiFormGroup(makeGroup(ids, 'measure-js', 1));
  // The plan and nine points through the API (a JSON client).
  const target = `${new Date().getUTCFullYear() + 1}-06-30`;
  await apiPost(sessions.lead, '/api/me/pip', {
    action: 'save',
    goals: [{
      kind: 'practice', aim: 'Fewer missed follow-ups', measure: 'Missed follow-ups a week', baseline: '6', target: '2',
      target_date: target, change_ideas: 'A recall list', measure_kind: 'count',
      measure_counted: 'Abnormal results without a follow-up booked within 7 days', measure_source: 'emr_report',
      measure_period: 'month', measure_direction: 'lower_is_better', baseline_value: '6', target_value: '2',
    }],
  });
  for (let i = 0; i < 9; i += 1) {
    await apiPost(sessions.peers[0], '/api/me/goals/1/points', { period: monthKey(12 - i), value: i % 2 ? '8' : '4' });
  }
  const json = await apiGet(sessions.lead, '/api/me/goals/1');
  assert.equal(json.status, 200);
  assert.equal(json.json.analysis.enough_data, false);
  assert.equal(json.json.series.length, 9);

  const { page, context, problems } = await signedIn(browser, links.lead);
  const failures = [];
  await page.goto(url('/api/me/measures'));
  await noViolations(page, '/api/me/measures, not enough data', failures);
  await page.goto(url('/api/me/goals/1'));
  await noViolations(page, '/api/me/goals/1, not enough data', failures);
  assert.match(await verdict(page), /^Not enough data yet to judge: /);
  assert.equal(await page.locator('label[for="point-value"]').innerText(), 'Count for the month');

  // Refused in place: the summary takes focus, the answer stays.
  await page.selectOption('#point-period', monthKey(3));
  await page.fill('#point-value', '2.5');
  await press(page, page.locator('#record button', { hasText: 'Save data point' }));
  await page.waitForFunction(() => document.activeElement && document.activeElement.hasAttribute('data-qi-error-summary'));
  assert.equal(new URL(page.url()).pathname, '/api/me/goals/1', 'no navigation');
  assert.equal(await page.inputValue('#point-value'), '2.5');
  assert.match(await page.locator('#point-value-error').innerText(), /whole number/);
  await noViolations(page, '/api/me/goals/1, refused point (JS)', failures);

  // The tenth point: the verdict is the chart's, in place.
  await page.fill('#point-value', '8');
  await press(page, page.locator('#record button', { hasText: 'Save data point' }));
  await page.waitForFunction(() => document.activeElement && document.activeElement.hasAttribute('data-qi-focus'));
  assert.match(await verdict(page), /^No signal: the points vary around the baseline median as chance would\.$/);
  assert.deepEqual(failures, [], failures.join('\n'));
  assert.deepEqual(problems, []);
  await context.close();
});
