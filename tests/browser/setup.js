// A group in a known state for the page-wide tests (reflow, axe,
// screenshots): signed up through the API, with some activities checked off
// and a saved draft, so the member pages show real content.
import assert from 'node:assert/strict';
import { url, makeGroup, cpsoBlock, apiSignUp, linkFor, apiCheckOff, ACTIVITIES, person } from './helpers.js';

export async function memberGroup(block, tag) {
  const g = makeGroup(cpsoBlock(block), tag);
  await apiSignUp(g);
  const links = {
    lead: await linkFor(g.lead.email),
    peer1: await linkFor(g.peers[0].email),
    peer2: await linkFor(g.peers[1].email),
  };
  await apiCheckOff(links.lead, ACTIVITIES);
  await apiCheckOff(links.peer1, ACTIVITIES.slice(0, 2));
  const code = new URL(links.lead).searchParams.get('code');
  const res = await fetch(url('/api/me/pip'), {
    method: 'POST',
    headers: { Accept: 'application/json', Authorization: `Bearer ${code}` },
    body: new URLSearchParams({
      action: 'save', strengths: 'Shared on-call; good EMR use.', improvements: 'Screening recall.',
      goal_1_kind: 'practice', goal_1_aim: 'More patients screened', goal_1_measure: 'FIT in 2 years',
      goal_1_baseline: '50%', goal_1_target: '70%', goal_1_target_date: '2027-06-30', goal_1_change_ideas: 'Recall list',
      goal_2_kind: 'self_care', goal_2_aim: 'Protected lunch break', goal_2_measure: 'Days with a break',
      goal_2_baseline: '1 a week', goal_2_target: '4 a week', goal_2_target_date: '2027-01-31', goal_2_change_ideas: 'Block the schedule',
    }),
  });
  assert.equal(res.status, 200, `saving a draft: ${await res.text()}`);
  return { g, links };
}

/* A browser context signed in as the member whose link is given. */
export async function signedIn(browser, link, opts = {}) {
  const p = await person(browser, opts);
  await p.page.goto(link);
  assert.equal(new URL(p.page.url()).pathname, '/me/', 'the personal link lands on /me/');
  return p;
}

/* Wait until the member pages have drawn what they load from the API. */
export async function settled(page) {
  await page.waitForLoadState('load');
  await page.waitForFunction(() => {
    const box = document.querySelector('[data-qi-member]');
    if (!box) return true;
    const inn = document.querySelector('[data-qi-signed-in]');
    const out = document.querySelector('[data-qi-signed-out]');
    const err = document.querySelector('[data-qi-load-error]');
    return (inn && !inn.hidden) || (out && !out.hidden) || (err && !err.hidden) ||
      (!inn && !out && document.readyState === 'complete');
  }, null, { timeout: 10000 });
  await page.waitForTimeout(150);
}
