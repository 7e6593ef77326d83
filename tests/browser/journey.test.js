// 1. The member journey with JavaScript on (docs/trust.md), through the
// server's member pages: a lead proposes a group of three (the server's
// refused form replaces the form in place first); the only email goes to the
// lead's address on file; the lead signs in from it (the task list says a
// proposal waits), reviews and confirms; each peer signs in from their own
// invitation (one browser context per member) and accepts; all check off
// their activities on /api/me/activities with the three date fields (focus
// lands on the "Saved" notice each time, never on the body); the plan is
// refused with two self-care goals only and while one activity is missing
// (summary focused, answers kept), saved, then submitted: the confirmation
// panel, the credits by goal, the status table with long dates, and the
// group page who submitted it.
// Then, each with its own group: a sign-up with a number nobody invited;
// signing out; signing out on every device; a new link replacing the old
// one; the lead inviting a peer and withdrawing it; a peer leaving.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, person, url, cpsoBlock, makeGroup, makePeer, fillSignUp, linkFor, outbox, outboxMark, mailsSince, mailTo,
  daysAgo, ACTIVITIES, CHECK_YOUR_EMAIL, SAME_ANSWER, codeOf, openSignInPage, signInWith, press, meStatus,
  sessionCookie, apiFormGroup, apiGet, plain, h1, fillDate, dateValue, dateParts, longDate, activitySection, doneButton,
  notDoneButton, activityTag, focusOnNotice, focusOnSummary, summaryLinks, MEMBER_PAGES,
} from './helpers.js';
import { signedIn } from './setup.js';

const ids = cpsoBlock(1);

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const LABELS = {
  qi_survey: 'QI Survey', practice_profile: 'Practice Profile', chart_review: 'Self-Guided Chart Review',
  data_driven_qi: 'Data-Driven QI',
};

/* forms.js changes a member page in place (no navigation): a mark set on
   the window before a post is still there after it. */
async function markWindow(page) { await page.evaluate(() => { window.qiTestMark = 'kept'; }); }
async function assertSamePage(page, what) {
  assert.equal(await page.evaluate(() => window.qiTestMark), 'kept', `${what}: the page was changed in place, not reloaded`);
}

/* Check off an activity on /api/me/activities with JavaScript: type the
   date, press the button; the page's main is swapped in place and focus
   moves to the "Saved" notice. */
async function checkOff(page, key, iso) {
  if (new URL(page.url()).pathname !== '/api/me/activities') await page.goto(url('/api/me/activities'));
  await markWindow(page);
  await fillDate(page, `completed_on-${key}`, iso);
  await doneButton(page, key).click();
  const notice = await focusOnNotice(page);
  assert.match(notice, new RegExp(`Saved ${LABELS[key]} is marked as done\\.`), `the Saved notice, focused: ${notice}`);
  await assertSamePage(page, `check-off ${key}`);
  assert.equal(new URL(page.url()).search, `?saved=${key}&as=done`, 'the address says what was saved');
  assert.equal(await activityTag(page, key), 'Done');
  assert.match(await activitySection(page, key).innerText(), new RegExp(`You finished it on ${longDate(iso)}`));
}

/* The task named `label` on the task list: its link and its tag. */
function task(page, label) {
  return page.locator('.qi-task').filter({ has: page.locator('.qi-task__name', { hasText: new RegExp(`^${label}$`) }) });
}
async function taskTag(page, label) { return (await task(page, label).locator('.qi-tag').innerText()).trim(); }

async function fillGoal(page, n, kind, tag) {
  await page.check(`#goal_${n}_kind-${kind}`);
  await page.fill(`#goal_${n}_aim`, `Aim ${tag}: raise the share of eligible patients screened for colorectal cancer`);
  await page.fill(`#goal_${n}_measure`, 'Eligible patients with a FIT in the last 2 years, from the EMR');
  await page.fill(`#goal_${n}_baseline`, '52%');
  await page.fill(`#goal_${n}_target`, '70%');
  await fillDate(page, `goal_${n}_target_date`, '2027-06-30');
  await page.fill(`#goal_${n}_change_ideas`, 'Recall list each quarter; a reminder in the chart');
}

const shown = (page, sel) => page.locator(sel).evaluateAll((ns) => ns.some((n) => !n.closest('[hidden]')));

/* The member bar and the member navigation, with the current page marked. */
async function assertMemberChrome(page, name, current, links = ['Tasks', 'My activities', 'Group plan', 'Measures', 'Group progress', 'Members']) {
  assert.match(await page.locator('.qi-member-bar').innerText(), new RegExp(`Signed in as ${name}`));
  assert.equal(await page.locator('.qi-member-bar form[action="/api/access/logout"] button', { hasText: 'Sign out' }).count(), 1);
  const nav = page.locator('nav.qi-member-nav[aria-label="Your group"]');
  assert.deepEqual((await nav.locator('a').allInnerTexts()).map((t) => t.trim()), links);
  assert.deepEqual((await nav.locator('a[aria-current="page"]').allInnerTexts()).map((t) => t.trim()), [current]);
}

test('full journey with JavaScript: propose, sign in, confirm, accept, check off, plan refused then submitted, status', async () => {
  const g = makeGroup(ids, 'js');
  const lead = await person(browser);
  const seenUrls = [];
  lead.context.on('request', (r) => seenUrls.push({ url: r.url(), referer: r.headers().referer || '' }));

  // --- the proposal: refused first, by the server, in place ------------------
  await lead.page.goto(url('/groups/sign-up/'));
  assert.equal(await lead.page.locator('h1').count(), 1, 'exactly one h1');
  assert.equal(await lead.page.locator('#lead_email, [name="lead_email"]').count(), 0, 'there is no lead email field');
  // With JavaScript only the first peer row shows.
  assert.equal(await lead.page.locator('#peers [data-qi-row]').count(), 1);
  await markWindow(lead.page);
  await lead.page.fill('#lead_cpso', '12a');
  await lead.page.fill('#lead_name', g.lead.name);
  await lead.page.click('#sign-up-form button[type="submit"]');
  const summaryText = await focusOnSummary(lead.page);
  await assertSamePage(lead.page, 'a refused sign-up');
  assert.equal(lead.page.url(), url('/groups/sign-up/'), 'still on the sign-up page');
  assert.match(await lead.page.title(), /^Error: Form a QI Group – /);
  assert.match(summaryText, /^There is a problem/);
  assert.match(summaryText, /Enter a CPSO number using digits only/);
  const links = await summaryLinks(lead.page);
  assert.equal(links[0].href, '#lead_cpso', 'the first error links to the first field');
  assert.equal(await lead.page.locator('[data-qi-error-summary]').count(), 1, 'one summary');
  assert.equal(await lead.page.inputValue('#lead_cpso'), '12a', 'the answers are kept');
  assert.equal(await lead.page.inputValue('#lead_name'), g.lead.name);
  assert.equal(await lead.page.getAttribute('#lead_cpso', 'aria-invalid'), 'true');
  const described = await lead.page.getAttribute('#lead_cpso', 'aria-describedby');
  const msgId = described.split(' ').find((id) => id.includes('error'));
  assert.match(await lead.page.locator(`[id="${msgId}"].qi-error-message`).textContent(), /CPSO number/);
  assert.ok(await lead.page.locator('.qi-field--error #lead_cpso').count(), 'the field is marked in error');
  // The summary's link moves focus to the field.
  await lead.page.locator('[data-qi-error-summary] a[href="#lead_cpso"]').click();
  assert.equal(await lead.page.evaluate(() => document.activeElement.id), 'lead_cpso');

  await fillSignUp(lead.page, g);
  assert.equal(await lead.page.locator('#peers [data-qi-row]').count(), 2);
  const mark = await outboxMark();
  const [answer] = await Promise.all([
    lead.page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/groups'),
    lead.page.waitForURL(url(CHECK_YOUR_EMAIL)),
    lead.page.click('#sign-up-form button[type="submit"]'),
  ]);
  assert.equal(answer.status(), 303, 'the sign-up answers with a redirect');
  assert.equal(new URL(await answer.headerValue('location'), url('/')).pathname, CHECK_YOUR_EMAIL, 'to "check your email", for anyone');
  assert.equal(await answer.headerValue('set-cookie'), null, 'the sign-up sets no cookie');
  assert.equal(await h1(lead.page), 'Check your email');
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
  assert.equal(await h1(lead.page), 'Review your group\'s proposal');
  const review = await lead.page.locator('main').innerText();
  for (const s of [g.group.name, g.group.setting, ...g.peers.flatMap((p) => [p.name, p.email])]) {
    assert.ok(review.includes(s), `the proposal shows ${s}`);
  }
  await assertMemberChrome(lead.page, g.lead.name, 'Members', ['Tasks', 'Members']);

  // The task list says what waits for the lead, and offers nothing else yet.
  await lead.page.goto(url('/api/me'));
  await assertMemberChrome(lead.page, g.lead.name, 'Tasks', ['Tasks', 'Members']);
  assert.match(await h1(lead.page), new RegExp(`Your QI Group\\s+${g.group.name}`));
  assert.equal(await lead.page.locator('.qi-tag', { hasText: 'Action needed' }).count(), 1, 'one task needs action');
  assert.equal(await lead.page.locator('a[href^="/api/me/activities"]').count(), 0, 'no activities before the group is confirmed');
  const action = lead.page.locator('.qi-task').filter({ has: lead.page.locator('.qi-tag', { hasText: 'Action needed' }) });
  assert.equal(await action.locator('a.qi-task__name').getAttribute('href'), '/api/me/group');
  await Promise.all([lead.page.waitForURL(url('/api/me/group')), action.locator('a.qi-task__name').click()]);

  // --- the lead confirms: each peer is invited ----------------------------------
  const confirmMark = await outboxMark();
  await press(lead.page, lead.page.getByRole('button', { name: 'Confirm and invite the peers' }), '/api/me/group');
  assert.equal(new URL(lead.page.url()).search, '?done=confirmed');
  assert.equal(await h1(lead.page), `Your group: ${g.group.name}`);
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
    assert.equal(await h1(m.page), 'Respond to your invitation');
    const invitation = await m.page.locator('main').innerText();
    assert.ok(invitation.includes(g.lead.name), 'the invitation names the lead');
    assert.ok(invitation.includes(g.group.name), 'the invitation names the group');
    await m.page.goto(url('/api/me'));
    assert.equal(await m.page.locator('.qi-tag', { hasText: 'Action needed' }).count(), 1, 'the task list: the invitation needs an answer');
    await m.page.goto(url('/api/me/group'));
    const acceptMark = await outboxMark();
    await press(m.page, m.page.getByRole('button', { name: 'Accept the invitation' }), '/api/me/group');
    assert.equal(new URL(m.page.url()).search, '?done=accepted');
    assert.equal(await h1(m.page), `Your group: ${g.group.name}`);
    assert.equal(mailTo(await mailsSince(acceptMark), g.lead.email).length, 1, 'the lead is told by email');
    members.push(m);
  }

  // --- the task list of a formed group -----------------------------------------
  for (const [i, m] of members.entries()) {
    const who = i === 0 ? g.lead : g.peers[i - 1];
    await m.page.goto(url('/api/me'));
    await assertMemberChrome(m.page, who.name, 'Tasks');
    const main = await m.page.locator('main').innerText();
    assert.match(main, /You have completed 0 of 4 activities\./);
    for (const h of ['Your activities', 'Your group', 'What to do next']) {
      assert.equal(await m.page.locator('h2', { hasText: h }).count(), 1, `the task list has "${h}"`);
    }
    for (const key of ACTIVITIES) {
      const a = task(m.page, LABELS[key]);
      assert.equal(await a.locator('a').getAttribute('href'), `/api/me/activities#activity-${key}`);
      assert.equal(await taskTag(m.page, LABELS[key]), 'Not started');
    }
    for (const label of ['Members join the group', 'Everyone finishes their activities', 'Write the group’s plan', 'Submit the plan']) {
      assert.equal(await task(m.page, label).count(), 1, `the group task "${label}"`);
    }
    assert.equal(await taskTag(m.page, 'Members join the group'), 'Done');
  }

  // --- check-offs: from the task list, with the three date fields -------------
  const date = daysAgo(5);
  const lp = lead.page;
  await lp.goto(url('/api/me'));
  await Promise.all([lp.waitForURL(url('/api/me/activities#activity-qi_survey')), task(lp, 'QI Survey').locator('a').click()]);
  await assertMemberChrome(lp, g.lead.name, 'My activities');
  const qs = activitySection(lp, 'qi_survey');
  assert.equal(await qs.locator('legend').innerText(), 'Date you finished the QI Survey');
  for (const [part, label] of [['day', 'Day'], ['month', 'Month'], ['year', 'Year']]) {
    assert.equal(await qs.locator(`input[name="completed_on-${part}"]`).getAttribute('id'), `completed_on-qi_survey-${part}`);
    assert.equal((await qs.locator(`label[for="completed_on-qi_survey-${part}"]`).innerText()).trim(), label);
  }
  assert.equal(await doneButton(lp, 'qi_survey').innerText(), 'Mark QI Survey as done');
  assert.equal(await notDoneButton(lp, 'qi_survey').count(), 0, 'nothing to un-check yet');

  // Refused by the server: a date in the future, then a date that does not exist.
  const future = new Date(Date.now() + 3 * 86400e3).toISOString().slice(0, 10);
  for (const [iso, re] of [[future, /future/i], [{ day: '31', month: '2', year: '2026' }, /Enter a real date/]]) {
    await markWindow(lp);
    await fillDate(lp, 'completed_on-qi_survey', iso);
    await doneButton(lp, 'qi_survey').click();
    const text = await focusOnSummary(lp);
    await assertSamePage(lp, 'a refused check-off');
    assert.match(text, re);
    assert.deepEqual((await summaryLinks(lp)).map((l) => l.href), ['#completed_on-qi_survey-day']);
    assert.match(await lp.title(), /^Error: /);
    assert.match(await activitySection(lp, 'qi_survey').locator('.qi-error-message').innerText(), re, 'the message is beside the field');
    assert.deepEqual(await dateValue(lp, 'completed_on-qi_survey'), typeof iso === 'string' ? dateParts(iso) : iso, 'the answer is kept');
    assert.equal(await lp.getAttribute('#completed_on-qi_survey-day', 'aria-invalid'), 'true');
    assert.equal(await activityTag(lp, 'qi_survey'), 'Not started', 'nothing was saved');
  }

  // Everyone but the last peer's Data-Driven QI.
  for (const [i, m] of members.entries()) {
    for (const a of ACTIVITIES) {
      if (i === members.length - 1 && a === 'data_driven_qi') continue;
      await checkOff(m.page, a, date);
    }
  }
  assert.match(await members[0].page.locator('.qi-task-summary').innerText(), /You have completed 4 of 4 activities\./);
  assert.match(await members[2].page.locator('.qi-task-summary').innerText(), /You have completed 3 of 4 activities\./);
  // A done activity: change the date, or mark it as not done; then check it off again.
  const mp = members[1].page;
  assert.match(await doneButton(mp, 'chart_review').innerText(), /^Change the date/);
  await markWindow(mp);
  await notDoneButton(mp, 'chart_review').click();
  const undone = await focusOnNotice(mp);
  assert.match(undone, /Saved Self-Guided Chart Review is marked as not done\./, undone);
  await assertSamePage(mp, 'mark as not done');
  assert.equal(await activityTag(mp, 'chart_review'), 'Not started');
  assert.match(await mp.locator('.qi-task-summary').innerText(), /3 of 4/);
  await checkOff(mp, 'chart_review', date);

  // The task list follows.
  await lp.goto(url('/api/me'));
  assert.match(await lp.locator('main').innerText(), /You have completed 4 of 4 activities\./);
  for (const key of ACTIVITIES) assert.equal(await taskTag(lp, LABELS[key]), 'Done');
  assert.notEqual(await taskTag(lp, 'Everyone finishes their activities'), 'Done', 'one activity is still missing');

  // --- the plan ----------------------------------------------------------------
  const pip = lp;
  await pip.goto(url('/api/me/pip'));
  await assertMemberChrome(pip, g.lead.name, 'Group plan');
  assert.match(await pip.locator('#activities').innerText(), new RegExp(`${g.peers[1].name} \\(Data-Driven QI\\)`),
    'the checklist says who still has which activity to do');
  await pip.fill('#strengths', 'Shared EMR templates; strong nursing support.');
  await pip.fill('#improvements', 'Cancer screening recall; documentation of medication reviews.');
  await fillGoal(pip, 1, 'self_care', 'one');
  await fillGoal(pip, 2, 'self_care', 'two');
  // Refused: two self-care goals only; the summary takes focus, the answers stay.
  await markWindow(pip);
  await pip.click('button[name="action"][value="submit"]');
  let refusal = await focusOnSummary(pip);
  await assertSamePage(pip, 'a refused plan');
  assert.match(refusal, /self-care/i);
  assert.match(await pip.title(), /^Error: /);
  assert.equal(await pip.inputValue('#strengths'), 'Shared EMR templates; strong nursing support.', 'the answers are kept');
  assert.match(await pip.inputValue('#goal_2_aim'), /^Aim two/);
  assert.ok(await pip.isChecked('#goal_2_kind-self_care'));
  assert.deepEqual(await dateValue(pip, 'goal_2_target_date'), { day: '30', month: '6', year: '2027' });
  // Refused: one activity is still missing (which member, which activity).
  await pip.check('#goal_2_kind-practice');
  await pip.click('button[name="action"][value="submit"]');
  await pip.waitForFunction(() => /Data-Driven QI/.test(document.querySelector('[data-qi-error-summary]')?.textContent || ''));
  refusal = await focusOnSummary(pip);
  assert.match(refusal, new RegExp(g.peers[1].name), 'the refusal names the member');
  assert.ok(await pip.isChecked('#goal_2_kind-practice'), 'the changed answer is kept');
  // Save the draft: the Saved notice takes focus; reloaded, it is still there (from the server).
  await pip.click('button[name="action"][value="save"]');
  const saved = await focusOnNotice(pip);
  assert.match(saved, /^Saved Your group’s draft has been saved/, saved);
  await assertSamePage(pip, 'Save draft');
  assert.equal(new URL(pip.url()).search, '?saved=1');
  await pip.goto(url('/api/me/pip'));
  assert.equal(await pip.inputValue('#strengths'), 'Shared EMR templates; strong nursing support.');
  assert.ok(await pip.isChecked('#goal_2_kind-practice'), 'goal 2 is a practice goal');
  assert.deepEqual(await dateValue(pip, 'goal_1_target_date'), { day: '30', month: '6', year: '2027' });

  // The last activity, then the submission.
  await checkOff(members[2].page, 'data_driven_qi', date);
  await pip.reload();
  assert.equal((await pip.locator('#activities .qi-task').first().locator('.qi-tag').innerText()).trim(), 'Done');
  await markWindow(pip);
  await pip.click('button[name="action"][value="submit"]');
  const confirmation = await focusOnNotice(pip);
  await assertSamePage(pip, 'Submit plan');
  assert.equal(new URL(pip.url()).search, '?submitted=1');
  const panel = pip.locator('.qi-panel--confirmation');
  assert.equal(await h1(panel), 'Plan submitted');
  // The server's record of the submission (its date is the program's, in Ontario).
  const status = await pip.evaluate(async () => {
    return (await fetch('/api/me/status', { credentials: 'same-origin', headers: { Accept: 'application/json' } })).json();
  });
  assert.equal(status.pip.state, 'submitted');
  const submittedOn = longDate(status.pip.submitted_on);
  const ago = (Date.now() - new Date(status.pip.submitted_on + 'T12:00:00Z').getTime()) / 86400e3;
  assert.ok(Math.abs(ago) < 1.5, `submitted today (${status.pip.submitted_on})`);
  assert.match(confirmation, new RegExp(`^Plan submitted Reference: ${g.group.name}, ${submittedOn}$`), confirmation);
  assert.equal(await pip.locator('h1').count(), 1);
  assert.equal(await pip.locator('h2', { hasText: 'What happens next' }).count(), 1);
  assert.equal(await pip.locator('main form#pip-form').count(), 0, 'the submitted plan is read-only');
  assert.equal(await pip.locator('main textarea, main input[type="text"]').count(), 0, 'no fields');
  // The credits, each line saying what earned it.
  const credits = pip.locator('table.qi-credits');
  const lines = (await credits.locator('tbody tr td:first-child').allInnerTexts()).map((t) => t.trim());
  assert.ok(lines.some((l) => /^Goal 1: Aim one: raise the share .*\(.+\)$/.test(l)), `a line for goal 1: ${JSON.stringify(lines)}`);
  assert.ok(lines.some((l) => /^Goal 2: Aim two/.test(l)), `a line for goal 2: ${JSON.stringify(lines)}`);
  assert.ok(!lines.some((l) => /QI Survey/.test(l)), 'a line worth no credit (the QI Survey) is not listed');
  const numbers = (await credits.locator('tbody td.num').allInnerTexts()).map(Number);
  assert.ok(numbers.every((n) => n > 0), `every listed line earns credits: ${numbers}`);
  const total = Number((await credits.locator('tfoot td.num').innerText()).trim());
  assert.equal(total, numbers.reduce((a, b) => a + b, 0), 'the total row adds the lines up');
  assert.match(await pip.locator('main').innerText(), /The submitted plan/);
  assert.match(await pip.locator('main').innerText(), /Aim one: raise the share/);

  // The date until which the requirement is met: five years on.
  const sub = new Date(status.pip.submitted_on + 'T00:00:00Z');
  const until = new Date(status.pip.requirement_met_until + 'T00:00:00Z');
  assert.equal(until.getUTCFullYear() - sub.getUTCFullYear(), 5, 'requirement met for five years');
  const longUntil = longDate(status.pip.requirement_met_until);
  assert.match(await pip.locator('main').innerText(), new RegExp(`requirement until ${longUntil}`));
  // A later visit: "Requirement met until".
  await pip.goto(url('/api/me/pip'));
  assert.equal(await pip.locator('.qi-panel--confirmation').count(), 0, 'the confirmation panel shows once');
  assert.match(await pip.locator('main').innerText(), new RegExp(`Requirement met until\\s+${longUntil}`));

  // --- the status table ----------------------------------------------------------
  const sp = members[1].page;
  await sp.goto(url('/api/me/status'));
  await assertMemberChrome(sp, g.peers[0].name, 'Group progress');
  const table = sp.locator('table.qi-table-responsive');
  assert.equal(await table.locator('tbody tr').count(), 3, 'one row per member');
  assert.equal(await table.locator('thead th').count(), 6);
  assert.equal((await table.locator('thead th').last().innerText()).trim(), 'CPD credits');
  const cells = (await table.locator('tbody td[data-label]:not([data-label="CPD credits"])').allTextContents()).map((c) => c.trim());
  assert.equal(cells.length, 12);
  assert.deepEqual(cells.filter((c) => c === `Done ${longDate(date)}`).length, 12, `every activity reads "Done ${longDate(date)}": ${cells}`);
  for (const c of await table.locator('tbody td[data-label="CPD credits"]').allTextContents()) assert.match(c.trim(), /^\d+(\.\d+)?$/);
  const rowNames = await table.locator('tbody th[scope="row"]').allTextContents();
  for (const who of [g.lead, ...g.peers]) assert.ok(rowNames.some((n) => n.includes(who.name)));
  const text = await sp.locator('main').innerText();
  assert.ok(text.includes(longUntil), `status page shows the requirement-met-until date ${longUntil}`);
  assert.match(text, /Plan submitted/);

  // The group page says who submitted the plan.
  await sp.goto(url('/api/me/group'));
  await assertMemberChrome(sp, g.peers[0].name, 'Members');
  const by = sp.locator('dt', { hasText: 'Plan submitted by' });
  assert.equal(await by.count(), 1, 'the group page says who submitted the plan');
  assert.match(await by.locator('xpath=following-sibling::dd[1]').innerText(), new RegExp(`^${g.lead.name} on `));

  // --- checks are locked after submission ------------------------------------
  await members[0].page.goto(url('/api/me/activities'));
  assert.match(await members[0].page.locator('main').innerText(), /can no longer be changed/);
  assert.equal(await members[0].page.locator('main form[data-qi-form="activity"]').count(), 0, 'no check-off forms');

  // --- ask a QI Coach -----------------------------------------------------------
  const ask = members[2].page;
  await ask.goto(url('/support/ask/'));
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

test('asking a QI Coach with JavaScript: refused in place in plain words, then sent', async () => {
  const { links } = await apiFormGroup(makeGroup(ids, 'js-ask', 1));
  const p = await signedIn(browser, links.lead);
  await p.page.goto(url('/support/ask/'));
  await markWindow(p.page);
  await p.page.fill('#message', 'Can a goal be shared by two members?');
  await p.page.click('#ask-form button[type="submit"]');
  const text = await focusOnSummary(p.page);
  await assertSamePage(p.page, 'a refused question');
  assert.match(await p.page.title(), /^Error: /);
  assert.equal(await p.page.inputValue('#message'), 'Can a goal be shared by two members?', 'the answer is kept');
  assert.deepEqual((await summaryLinks(p.page)).map((l) => l.href), ['#topic']);
  assert.match(text, /Choose/);
  assert.doesNotMatch(text, /getting_started|pip_goals|self_care/, `the message is in plain words, not the form's internal values: ${text}`);
  await p.page.selectOption('#topic', 'measurement');
  await Promise.all([p.page.waitForURL(url('/support/ask/done/')), p.page.click('#ask-form button[type="submit"]')]);
  assert.deepEqual(p.problems, []);
  await p.context.close();
});

test('a sign-up with a number nobody invited looks the same and sends no email', async () => {
  const g = makeGroup({ ...ids, lead: ids.uninvited }, 'js-uninvited');
  const p = await person(browser);
  await p.page.goto(url('/groups/sign-up/'));
  await fillSignUp(p.page, g);
  const before = (await outbox()).length;
  const [answer] = await Promise.all([
    p.page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/groups'),
    p.page.waitForURL(url(CHECK_YOUR_EMAIL)),
    p.page.click('#sign-up-form button[type="submit"]'),
  ]);
  assert.equal(answer.status(), 303);
  assert.equal(new URL(await answer.headerValue('location'), url('/')).pathname, CHECK_YOUR_EMAIL, 'the same answer as for an invited number');
  assert.equal(await answer.headerValue('set-cookie'), null);
  assert.equal(await h1(p.page), 'Check your email');
  assert.ok(plain(await p.page.locator('main').innerText()).includes(SAME_ANSWER), 'the same page text');
  assert.equal((await outbox()).length, before, 'no email was sent');
  assert.equal(await sessionCookie(p.context), undefined);
  assert.deepEqual(p.problems, []);
  await p.context.close();
});

test('signing out ends this browser\'s session', async () => {
  const { g, links, sessions } = await apiFormGroup(makeGroup(ids, 'js-signout'));
  const m = await person(browser);
  await signInWith(m.page, links.peers[0], '/api/me');
  assert.match(await m.page.locator('.qi-member-bar').innerText(), new RegExp(`Signed in as ${g.peers[0].name}`));
  // Sign out from the member bar, on any member page.
  await m.page.goto(url('/api/me/status'));
  await press(m.page, m.page.locator('.qi-member-bar').getByRole('button', { name: 'Sign out', exact: true }), '/me/signed-out/');
  assert.equal(new URL(m.page.url()).search, '');
  assert.equal(await h1(m.page), 'You are signed out');
  assert.equal(await shown(m.page, '[data-qi-query="everywhere"]'), false, 'no "every device" notice');
  assert.equal(await sessionCookie(m.context), undefined, 'the cookie is cleared');
  assert.equal(await meStatus(m.context), 401, 'GET /api/me is 401 after signing out');

  // Every member page now shows how to sign in, and none of the member's work.
  for (const p of MEMBER_PAGES) {
    const res = await m.page.goto(url(p));
    assert.equal(res.status(), 200, `${p} answers 200 with the sign-in page`);
    assert.equal(await h1(m.page), 'Sign in to see your group', `${p} asks to sign in`);
    assert.equal(await m.page.locator('main form').count(), 0, `${p}: no forms when signed out`);
    assert.equal(await m.page.locator('.qi-member-bar, nav.qi-member-nav').count(), 0, `${p}: no member bar`);
    assert.equal(await m.page.locator('main a.qi-button', { hasText: 'Get a new sign-in link' }).getAttribute('href'), '/me/new-link/');
    assert.ok(!(await m.page.locator('main').innerText()).includes(g.peers[0].name), `${p} names nobody`);
  }

  // Only this session ended: another one of the same member still works.
  assert.equal((await apiGet(sessions.peers[0], '/api/me')).status, 200, 'the member\'s other session is still live');
  assert.deepEqual(m.problems, []);
  await m.context.close();
});

test('signing out on every device ends the other browsers\' sessions too', async () => {
  const { links, sessions } = await apiFormGroup(makeGroup(ids, 'js-everywhere'));
  const here = await person(browser);
  const there = await person(browser);
  await signInWith(here.page, links.peers[1], '/api/me');
  await signInWith(there.page, links.peers[1], '/api/me');
  assert.equal(await meStatus(there.context), 200, 'the other browser is signed in');

  await press(here.page, here.page.getByRole('button', { name: 'Sign out on every device' }), '/me/signed-out/');
  assert.equal(new URL(here.page.url()).search, '?everywhere=1');
  await here.page.locator('[data-qi-query="everywhere"]').waitFor({ state: 'visible' });
  assert.equal(await meStatus(here.context), 401);
  assert.equal(await meStatus(there.context), 401, 'the other browser is signed out too');
  assert.equal((await apiGet(sessions.peers[1], '/api/me')).status, 401, 'and every other session of the member');
  await there.page.reload();
  assert.equal(await h1(there.page), 'Sign in to see your group', 'the other browser\'s task list asks to sign in');

  // The link itself still works: sign in again.
  await signInWith(there.page, links.peers[1], '/api/me');
  assert.equal(await meStatus(there.context), 200);
  for (const p of [here, there]) { assert.deepEqual(p.problems, []); await p.context.close(); }
});

test('a new link from /me/new-link/ replaces the old one', async () => {
  const { g, links } = await apiFormGroup(makeGroup(ids, 'js-newlink'));
  const peer = g.peers[0];
  const old = await person(browser);
  await signInWith(old.page, links.peers[0], '/api/me');

  const p = await person(browser);
  await p.page.goto(url('/me/new-link/'));
  assert.equal(await p.page.locator('h1').count(), 1);
  // Refused by the server, in place: the summary takes focus, the answer stays.
  await p.page.fill('#cpso', '12x');
  await p.page.click('#new-link-form button[type="submit"]');
  assert.match(await focusOnSummary(p.page), /CPSO/);
  assert.equal(p.page.url(), url('/me/new-link/'));
  assert.match(await p.page.title(), /^Error: /);
  assert.deepEqual((await summaryLinks(p.page)).map((l) => l.href), ['#cpso', '#email'], 'the errors in form order');
  assert.equal(await p.page.inputValue('#cpso'), '12x');
  assert.equal(await p.page.getAttribute('#email', 'aria-invalid'), 'true', 'the empty email is flagged');

  // Details that match nobody: the same page, no email.
  let mark = await outboxMark();
  await p.page.fill('#cpso', peer.cpso);
  await p.page.fill('#email', 'somebody.else@example.org');
  await Promise.all([p.page.waitForURL(url('/me/new-link/sent/')), p.page.click('#new-link-form button[type="submit"]')]);
  assert.equal(await h1(p.page), 'Check your email');
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
  assert.equal(answer.status(), 303, 'a redirect to "check your email", whoever asked');
  assert.equal(await answer.headerValue('set-cookie'), null);
  const sent = await mailsSince(mark);
  assert.equal(sent.length, 1, 'one email');
  assert.equal(mailTo(sent, peer.email).length, 1, 'to the member\'s address on file');
  const fresh = await linkFor(peer.email, mark);
  assert.notEqual(codeOf(fresh), codeOf(links.peers[0]));

  // The old link's page says it is not valid; the old sign-in has ended.
  const res = await p.page.goto(links.peers[0]);
  assert.equal(res.status(), 401);
  assert.equal(await h1(p.page), 'This link is not valid or has been replaced');
  assert.equal(await p.page.locator('main form').count(), 0, 'no Sign in button');
  assert.equal(await p.page.locator('main a[href="/me/new-link/"]').count(), 1, 'it links to a new link');
  assert.equal(await meStatus(old.context), 401, 'the browser signed in with the old link is signed out');

  // The new link signs in.
  await signInWith(p.page, fresh, '/api/me');
  assert.match(await p.page.locator('.qi-member-bar').innerText(), new RegExp(`Signed in as ${peer.name}`));
  for (const x of [old, p]) { assert.deepEqual(x.problems, []); await x.context.close(); }
});

test('the lead invites a peer from the group page, then withdraws the invitation', async () => {
  const tag = 'js-invite';
  const { g, links } = await apiFormGroup(makeGroup(ids, tag), { accept: [0] });
  const lead = await person(browser);
  await signInWith(lead.page, links.lead, '/api/me');
  const page = lead.page;
  await page.goto(url('/api/me/group'));
  assert.equal(await h1(page), `Your group: ${g.group.name}`);

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
  await signInWith(peer.page, links.peers[1], '/api/me');
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
  await signInWith(p.page, await linkFor(g.lead.email, mark), '/api/me');
  assert.deepEqual(p.problems, []);
  await p.context.close();
});
