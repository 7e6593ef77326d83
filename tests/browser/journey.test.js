// 1. The full member journey with JavaScript on: a lead forms a group of
// three; each peer opens their link from the outbox; all check off their four
// activities; the PIP is refused while one activity is missing and with two
// self-care goals only; then saved, reloaded, submitted; the status page shows
// the requirement-met-until date, five years on.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, person, url, cpsoBlock, makeGroup, fillSignUp, linkFor, outbox, daysAgo, ACTIVITIES,
} from './helpers.js';

const LABELS = {
  qi_survey: 'QI Survey', practice_profile: 'Practice Profile',
  chart_review: 'Self-Guided Chart Review', data_driven_qi: 'Data-Driven QI',
};

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function checkOff(page, activity, date) {
  const box = page.locator(`[data-qi-activity="${activity}"]`);
  await box.locator('input[name="completed_on"]').fill(date);
  await box.locator('button[value="true"]').click();
  await assertText(box.locator('[data-qi-activity-state]'), /^Done on /);
}

async function assertText(locator, re, timeout = 10000) {
  const deadline = Date.now() + timeout;
  let last = '';
  while (Date.now() < deadline) {
    last = (await locator.textContent().catch(() => '')) || '';
    if (re.test(last.trim())) return last;
    await new Promise((r) => setTimeout(r, 100));
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

test('full journey with JavaScript: sign up, check off, PIP refused then submitted, status', async () => {
  const g = makeGroup(cpsoBlock(1), 'js');
  const lead = await person(browser);
  const seenUrls = [];
  lead.context.on('request', (r) => seenUrls.push({ url: r.url(), referer: r.headers().referer || '' }));

  // --- sign-up, with client-side checks first -------------------------------
  await lead.page.goto(url('/groups/sign-up/'));
  assert.equal(await lead.page.locator('h1').count(), 1, 'exactly one h1');
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
  await Promise.all([
    lead.page.waitForURL(url('/groups/sign-up/done/')),
    lead.page.click('#sign-up-form button[type="submit"]'),
  ]);
  // The lead's own link is shown (never the peers').
  const leadLink = await linkFor(g.lead.email);
  const shown = lead.page.locator('[data-qi-lead-link] a[data-qi-lead-href]');
  await shown.waitFor({ state: 'visible' });
  assert.equal(new URL(await shown.getAttribute('href'), url('/')).search, new URL(leadLink).search,
    'the confirmation shows the lead\'s link');
  const html = await lead.page.content();
  for (const p of g.peers) {
    const code = new URL(await linkFor(p.email)).searchParams.get('code');
    assert.ok(!html.includes(code), 'a peer\'s code never appears on the lead\'s page');
  }
  const mails = await outbox();
  for (const who of [g.lead, ...g.peers]) {
    assert.ok(mails.some((m) => String(m.to).includes(who.email)), `an email went to ${who.email}`);
  }

  // --- each member opens their link -----------------------------------------
  await Promise.all([lead.page.waitForURL(url('/me/')), shown.click()]);
  const members = [lead];
  for (const p of g.peers) {
    const m = await person(browser);
    m.context.on('request', (r) => seenUrls.push({ url: r.url(), referer: r.headers().referer || '' }));
    await m.page.goto(await linkFor(p.email));
    members.push(m);
  }
  for (const [i, m] of members.entries()) {
    assert.equal(m.page.url(), url('/me/'), 'the link lands on /me/ without the code in the URL');
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
  await pip.waitForTimeout(600);
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
  await pip2.waitForTimeout(300);
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
  const longUntil = `${months[until.getUTCMonth()]} ${until.getUTCDate()}, ${until.getUTCFullYear()}`;
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
