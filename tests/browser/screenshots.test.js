// 6. Screenshots of each form page and each step of the verified journey at
// phone (375×800) and desktop (1280×900) widths, saved under
// tests/browser/artifacts/ (git-ignored) for a person to look at. Also fails
// if a page does not render what it is for.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import {
  launch, url, screenshot, person, ARTIFACTS, cpsoBlock, makeGroup, fillSignUp, CHECK_YOUR_EMAIL, outboxMark, linkFor,
  signInWith, press,
} from './helpers.js';
import { memberGroup, signedIn, settled } from './setup.js';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const SIZES = { phone: { width: 375, height: 800 }, desktop: { width: 1280, height: 900 } };
/* [name, path, what the page must show] as an accepted member of a formed group. */
const SHOTS = [
  ['sign-up', '/groups/sign-up/', 'form[data-qi-form="sign-up"]'],
  ['check-your-email', CHECK_YOUR_EMAIL, 'h1'],
  ['me', '/me/', '[data-qi-activity="qi_survey"] form'],
  ['pip', '/me/pip/', 'form[data-qi-form="pip"]'],
  ['status', '/me/status/', '[data-qi-status] table'],
  ['ask', '/support/ask/', 'form[data-qi-form="ask"]'],
  ['ask-done', '/support/ask/done/', 'h1'],
  ['status-server', '/api/me/status', 'table'],
  ['group-peer', '/api/me/group', '.qi-member-list'],
  ['new-link', '/me/new-link/', 'form[data-qi-form="new-link"]'],
  ['new-link-sent', '/me/new-link/sent/', 'h1'],
  ['signed-out', '/me/signed-out/', 'h1'],
  ['signed-out-everywhere', '/me/signed-out/?everywhere=1', '[data-qi-query="everywhere"]'],
  ['signed-out-left', '/me/signed-out/?left=1', '[data-qi-query="left"]'],
];

test('screenshots of the form pages and the journey at phone and desktop widths', async () => {
  fs.rmSync(ARTIFACTS, { recursive: true, force: true });
  const { links } = await memberGroup(8, 'shots');
  const leads = cpsoBlock(9);
  const written = [];
  for (const [size, viewport] of Object.entries(SIZES)) {
    const member = await signedIn(browser, links.peer1, { context: { viewport } });
    for (const [name, p, selector] of SHOTS) {
      await member.page.goto(url(p));
      await settled(member.page);
      assert.ok(await member.page.isVisible(selector), `${p} shows ${selector}`);
      written.push(await screenshot(member.page, `${name}-${size}`));
    }
    // Error states.
    await member.page.goto(url('/groups/sign-up/'));
    await member.page.fill('#peer_1_email', 'not-an-email');
    await member.page.click('#sign-up-form button[type="submit"]');
    await member.page.locator('.qi-error-summary').waitFor();
    written.push(await screenshot(member.page, `sign-up-errors-${size}`));
    await member.page.goto(url('/me/new-link/'));
    await member.page.fill('#cpso', '12x');
    await member.page.click('#new-link-form button[type="submit"]');
    await member.page.locator('.qi-error-summary').waitFor();
    written.push(await screenshot(member.page, `new-link-errors-${size}`));
    await member.context.close();

    // The group page as the lead of the formed group: the invite form, then refused.
    const lead = await signedIn(browser, links.lead, { context: { viewport } });
    await lead.page.goto(url('/api/me/group'));
    written.push(await screenshot(lead.page, `group-lead-${size}`));
    await lead.page.fill('#peer_cpso', '12x');
    await lead.page.fill('#peer_name', 'Dr. Peer Typo');
    await lead.page.fill('#peer_email', 'not-an-address');
    await press(lead.page, lead.page.getByRole('button', { name: 'Send the invitation' }));
    await lead.page.locator('.qi-error-summary').waitFor();
    written.push(await screenshot(lead.page, `group-invite-errors-${size}`));
    await lead.context.close();

    // A proposal with JavaScript: "check your email", the sign-in page, the
    // proposal to review, the confirmed group.
    const g = makeGroup(leads, `shot-${size}`);
    const proposer = await person(browser, { context: { viewport } });
    await proposer.page.goto(url('/groups/sign-up/'));
    await fillSignUp(proposer.page, g);
    let mark = await outboxMark();
    await Promise.all([proposer.page.waitForURL(url(CHECK_YOUR_EMAIL)), proposer.page.click('#sign-up-form button[type="submit"]')]);
    const leadLink = await linkFor(g.lead.email, mark);
    await proposer.page.goto(leadLink);
    written.push(await screenshot(proposer.page, `sign-in-${size}`));
    await signInWith(proposer.page, leadLink, '/api/me/group');
    written.push(await screenshot(proposer.page, `group-review-${size}`));
    await proposer.page.goto(url('/me/'));
    await settled(proposer.page);
    assert.ok(await proposer.page.isVisible('[data-qi-pending="review"]'));
    written.push(await screenshot(proposer.page, `me-pending-review-${size}`));
    await proposer.page.goto(url('/api/me/group'));
    mark = await outboxMark();
    await press(proposer.page, proposer.page.getByRole('button', { name: 'Confirm and invite the peers' }), '/api/me/group');
    written.push(await screenshot(proposer.page, `group-confirmed-${size}`));
    await proposer.context.close();

    // The invitation, as the peer sees it.
    const invited = await person(browser, { context: { viewport } });
    await signInWith(invited.page, await linkFor(g.peers[0].email, mark), '/api/me/group');
    written.push(await screenshot(invited.page, `group-invitation-${size}`));
    await invited.page.goto(url('/me/'));
    await settled(invited.page);
    assert.ok(await invited.page.isVisible('[data-qi-pending="respond"]'));
    written.push(await screenshot(invited.page, `me-pending-respond-${size}`));
    // A link that is not valid.
    await invited.page.goto(url('/api/access?code=not-valid'));
    written.push(await screenshot(invited.page, `sign-in-invalid-${size}`));
    await invited.context.close();

    const nojs = await person(browser, { js: false, context: { viewport } });
    await nojs.page.goto(url('/groups/sign-up/'));
    written.push(await screenshot(nojs.page, `sign-up-nojs-${size}`));
    await nojs.page.fill('#lead_cpso', 'abc');
    await Promise.all([nojs.page.waitForURL(url('/api/groups')), nojs.page.click('#sign-up-form button[type="submit"]')]);
    written.push(await screenshot(nojs.page, `server-error-${size}`));
    await nojs.page.goto(url('/me/'));
    written.push(await screenshot(nojs.page, `me-nojs-signed-out-${size}`));
    await nojs.context.close();
  }
  for (const f of written) assert.ok(fs.statSync(f).size > 5000, `${f} is a real image`);
});
