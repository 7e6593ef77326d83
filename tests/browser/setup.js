// Groups in known states for the page-wide tests (reflow, axe, screenshots),
// made through the API so the pages show real content: a formed group with
// some activities checked off and a saved draft; a proposal waiting for its
// lead; an invitation waiting for its peer.
import assert from 'node:assert/strict';
import {
  url, makeGroup, cpsoBlock, apiFormGroup, apiSignUp, apiSignIn, apiPost, apiCheckOff, ACTIVITIES, person,
  linkFor, outboxMark, signInWith,
} from './helpers.js';

/* A formed group (lead and two peers accepted) with a saved draft. */
export async function memberGroup(block, tag, ids = cpsoBlock(block)) {
  const g = makeGroup(ids, tag);
  const formed = await apiFormGroup(g);
  const { sessions } = formed;
  await apiCheckOff(sessions.lead, ACTIVITIES);
  await apiCheckOff(sessions.peers[0], ACTIVITIES.slice(0, 2));
  const res = await fetch(url('/api/me/pip'), {
    method: 'POST',
    headers: { Accept: 'application/json', Authorization: `Bearer ${sessions.lead}` },
    body: new URLSearchParams({
      action: 'save', strengths: 'Shared on-call; good EMR use.', improvements: 'Screening recall.',
      goal_1_kind: 'practice', goal_1_aim: 'More patients screened', goal_1_measure: 'FIT in 2 years',
      goal_1_baseline: '50%', goal_1_target: '70%', 'goal_1_target_date-day': '30', 'goal_1_target_date-month': '6', 'goal_1_target_date-year': '2027', goal_1_change_ideas: 'Recall list',
      goal_2_kind: 'self_care', goal_2_aim: 'Protected lunch break', goal_2_measure: 'Days with a break',
      goal_2_baseline: '1 a week', goal_2_target: '4 a week', 'goal_2_target_date-day': '31', 'goal_2_target_date-month': '1', 'goal_2_target_date-year': '2027', goal_2_change_ideas: 'Block the schedule',
    }),
  });
  assert.equal(res.status, 200, `saving a draft: ${await res.text()}`);
  return {
    g,
    sessions,
    links: { lead: formed.links.lead, peer1: formed.links.peers[0], peer2: formed.links.peers[1] },
  };
}

/* A proposal nobody has confirmed: the lead's link. */
export async function proposedGroup(ids, tag) {
  const g = makeGroup(ids, tag);
  const mark = await outboxMark();
  await apiSignUp(g);
  return { g, leadLink: await linkFor(g.lead.email, mark) };
}

/* A confirmed group whose peers have not answered: the peers' links. */
export async function invitedGroup(ids, tag) {
  const g = makeGroup(ids, tag);
  const mark = await outboxMark();
  await apiSignUp(g);
  const leadLink = await linkFor(g.lead.email, mark);
  const lead = await apiSignIn(leadLink);
  const confirmed = await outboxMark();
  await apiPost(lead, '/api/me/proposal/confirm');
  const peerLinks = [];
  for (const p of g.peers) peerLinks.push(await linkFor(p.email, confirmed));
  return { g, leadLink, leadSession: lead, peerLinks };
}

/* A browser context signed in, through the sign-in page, as the member whose
   link is given. `expect`: where signing in should lead (default the task
   list /api/me, an accepted member). */
export async function signedIn(browser, link, opts = {}) {
  const p = await person(browser, opts);
  await signInWith(p.page, link, opts.expect || '/api/me');
  return p;
}

/* The member pages are rendered by the server: a page is settled once it
   has loaded (forms.js is a deferred script, so it has run by then). */
export async function settled(page) {
  await page.waitForLoadState('load');
}
