// 3. Keyboard only: the sign-up form can be completed with Tab, typing,
// Space and Enter, with a visible focus indicator on every stop, and errors
// reachable from the focused error summary; then the lead signs in from the
// emailed link and confirms, and a peer signs in and accepts, opens an
// activity from the task list and checks activities off (the three date
// fields, the button pressed with Space or Enter), all with the keyboard.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, person, url, cpsoBlock, makeGroup, activeInfo, outboxMark, linkFor, CHECK_YOUR_EMAIL,
} from './helpers.js';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/* Press Tab until the focused element matches; every stop must show focus. */
async function tabTo(page, match, what, max = 80) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    const info = await page.evaluate(() => {
      const a = document.activeElement;
      if (!a || a === document.body) return null;
      const s = getComputedStyle(a);
      const visible = (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || (s.boxShadow && s.boxShadow !== 'none');
      return { id: a.id, name: a.getAttribute('name'), tag: a.tagName, text: (a.textContent || '').trim(), visible, hp: !!a.closest('.qi-hp') };
    });
    if (!info) continue;
    assert.equal(info.hp, false, 'the honeypot is never reached with Tab');
    assert.ok(info.visible, `focus is visible on ${info.tag}#${info.id} "${info.text.slice(0, 40)}"`);
    if (match(info)) return info;
  }
  throw new Error(`could not reach ${what} with Tab`);
}
const byId = (id) => (i) => i.id === id;

/* Press a key on a focused submit button; the form's POST (a navigation,
   or forms.js's fetch) must answer with a redirect to `target`. */
async function submitWithKey(page, key, target) {
  const [res] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && !r.request().redirectedFrom()
      && (r.request().isNavigationRequest() || r.request().resourceType() === 'fetch')),
    page.keyboard.press(key),
  ]);
  assert.ok(res.status() >= 300 && res.status() < 400, `POST ${new URL(res.url()).pathname} answered ${res.status()}, not a redirect`);
  await page.waitForURL(url(target));
}

test('proposing, signing in, confirming and accepting with the keyboard alone', async () => {
  const g = makeGroup(cpsoBlock(4), 'kbd');
  g.peers[1].language = 'fr'; // chosen with the arrow keys below
  const { context, page, problems } = await person(browser);
  await page.goto(url('/groups/sign-up/'));

  // Submitting too early: the summary takes focus; its link leads to the field.
  await tabTo(page, (i) => i.tag === 'BUTTON' && /Send the proposal/.test(i.text), 'the submit button', 200);
  await page.keyboard.press('Enter');
  // The server's answer replaces the form; wait for focus to reach its summary.
  await page.waitForFunction(() => document.activeElement && document.activeElement.hasAttribute('data-qi-error-summary'));
  const onSummary = await activeInfo(page);
  assert.match(onSummary.cls, /qi-error-summary/, 'Enter on submit moves focus to the error summary');
  await page.keyboard.press('Tab');
  const link = await activeInfo(page);
  assert.equal(link.tag, 'A', 'the first stop after the summary is its first error link');
  await page.keyboard.press('Enter');
  assert.equal((await activeInfo(page)).id, 'lead_cpso', 'the error link moves focus to its field');

  await page.keyboard.type(g.lead.cpso);
  await tabTo(page, byId('lead_name'), 'lead name');
  await page.keyboard.type(g.lead.name);
  await tabTo(page, (i) => i.name === 'lead_language', 'language');
  await page.keyboard.press('ArrowRight'); // French
  assert.equal(await page.isChecked('#lead_language-fr'), true, 'arrow keys choose the language');
  await tabTo(page, byId('group_name'), 'group name');
  await page.keyboard.type(g.group.name);
  await tabTo(page, byId('practice_setting'), 'practice setting');
  await page.keyboard.type(g.group.setting);

  for (const [i, p] of g.peers.entries()) {
    const n = i + 1;
    if (n > 1) {
      await tabTo(page, (x) => x.tag === 'BUTTON' && /Add another peer/.test(x.text), 'Add another peer');
      await page.keyboard.press('Space');
      assert.equal((await activeInfo(page)).id, `peer_${n}_cpso`, 'a new row takes focus on its first field');
    } else {
      await tabTo(page, byId(`peer_${n}_cpso`), `peer ${n} CPSO`);
    }
    await page.keyboard.type(p.cpso);
    await tabTo(page, byId(`peer_${n}_name`), `peer ${n} name`);
    await page.keyboard.type(p.name);
    await tabTo(page, byId(`peer_${n}_email`), `peer ${n} email`);
    await page.keyboard.type(p.email);
    await tabTo(page, byId(`peer_${n}_language`), `peer ${n} language`);
    await page.keyboard.press(p.language === 'fr' ? 'ArrowDown' : 'ArrowUp');
  }
  assert.equal(await page.inputValue('#peer_2_language'), 'fr', 'the keyboard chooses the second peer\'s language');

  // Add a third row by mistake, then remove it with the keyboard.
  await tabTo(page, (x) => x.tag === 'BUTTON' && /Add another peer/.test(x.text), 'Add another peer');
  await page.keyboard.press('Enter');
  assert.equal(await page.locator('#peers [data-qi-row]').count(), 3);
  await tabTo(page, (x) => x.tag === 'BUTTON' && /Remove peer 3/.test(x.text), 'Remove peer 3');
  await page.keyboard.press('Space');
  assert.equal(await page.locator('#peers [data-qi-row]').count(), 2);

  await tabTo(page, (i) => i.tag === 'BUTTON' && /Send the proposal/.test(i.text), 'the submit button');
  let mark = await outboxMark();
  await Promise.all([page.waitForURL(url(CHECK_YOUR_EMAIL)), page.keyboard.press('Enter')]);

  // The lead's link: Sign in, then confirm, with the keyboard.
  await page.goto(await linkFor(g.lead.email, mark));
  await tabTo(page, (i) => i.tag === 'BUTTON' && i.text === 'Sign in', 'the Sign in button');
  await submitWithKey(page, 'Enter', '/api/me/group');
  // The lead chose French above: once signed in, their pages are in French.
  await tabTo(page, (i) => i.tag === 'BUTTON' && i.text === 'Confirmer et inviter les collègues', 'Confirm and invite the peers (in French)');
  mark = await outboxMark();
  await submitWithKey(page, 'Enter', '/api/me/group?done=confirmed');
  assert.deepEqual(problems, []);
  await context.close();

  // A peer's invitation: Sign in, then accept, with the keyboard.
  const peer = await person(browser);
  await peer.page.goto(await linkFor(g.peers[0].email, mark));
  await tabTo(peer.page, (i) => i.tag === 'BUTTON' && i.text === 'Sign in', 'the Sign in button');
  await submitWithKey(peer.page, 'Space', '/api/me/group');
  await tabTo(peer.page, (i) => i.tag === 'BUTTON' && i.text === 'Accept the invitation', 'Accept the invitation');
  await submitWithKey(peer.page, 'Enter', '/api/me/group?done=accepted');

  // The group page's "Leave the group" disclosure opens from the keyboard.
  await tabTo(peer.page, (i) => i.tag === 'SUMMARY' && i.text === 'Leave the group', 'the Leave the group disclosure', 120);
  await peer.page.keyboard.press('Enter');
  assert.equal(await peer.page.locator('details.qi-confirm:has(summary:text-is("Leave the group"))').getAttribute('open'), '',
    'Enter opens the disclosure');
  await tabTo(peer.page, (i) => i.tag === 'BUTTON' && i.text === 'Yes, leave the group', 'Yes, leave the group');

  // The task list with the keyboard: Tab to an activity's link, Enter; then
  // check it off: type the date in its three fields, press the button.
  const tp = peer.page;
  await tp.goto(url('/api/me'));
  await tabTo(tp, (i) => i.tag === 'A' && i.text === 'QI Survey', 'the QI Survey task');
  await Promise.all([tp.waitForURL(url('/api/me/activities#activity-qi_survey')), tp.keyboard.press('Enter')]);
  const date = new Date(Date.now() - 6 * 86400e3);
  for (const [key, button, pressKey] of [['qi_survey', 'Mark QI Survey as done', 'Space'], ['practice_profile', 'Mark Practice Profile as done', 'Enter']]) {
    await tabTo(tp, byId(`completed_on-${key}-day`), `the day of ${key}`, 120);
    await tp.keyboard.type(String(date.getUTCDate()));
    await tabTo(tp, byId(`completed_on-${key}-month`), `the month of ${key}`);
    await tp.keyboard.type(String(date.getUTCMonth() + 1));
    await tabTo(tp, byId(`completed_on-${key}-year`), `the year of ${key}`);
    await tp.keyboard.type(String(date.getUTCFullYear()));
    await tabTo(tp, (i) => i.tag === 'BUTTON' && i.text === button, button);
    await tp.keyboard.press(pressKey);
    // forms.js swaps the page in place: focus lands on the Saved notice, from
    // where Tab carries on through the page.
    await tp.waitForFunction(() => document.activeElement && document.activeElement.hasAttribute('data-qi-focus'));
    assert.match(await tp.evaluate(() => document.activeElement.innerText), /is marked as done/);
    assert.equal((await tp.locator(`#activity-${key} .qi-activity__head .qi-tag`).innerText()).trim(), 'Done');
  }
  assert.deepEqual(peer.problems, []);
  await peer.context.close();
});
