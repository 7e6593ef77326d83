// 6. Screenshots of each form page at phone (375×800) and desktop
// (1280×900) widths, saved under tests/browser/artifacts/ (git-ignored) for
// a person to look at. Also fails if a page does not render its form.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { launch, url, screenshot, person, ARTIFACTS, cpsoBlock, makeGroup, fillSignUp } from './helpers.js';
import { memberGroup, signedIn, settled } from './setup.js';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

const SIZES = { phone: { width: 375, height: 800 }, desktop: { width: 1280, height: 900 } };
const SHOTS = [
  ['sign-up', '/groups/sign-up/', 'form[data-qi-form="sign-up"]'],
  ['sign-up-done', '/groups/sign-up/done/', 'h1'],
  ['me', '/me/', '[data-qi-activity="qi_survey"] form'],
  ['pip', '/me/pip/', 'form[data-qi-form="pip"]'],
  ['status', '/me/status/', '[data-qi-status] table'],
  ['ask', '/support/ask/', 'form[data-qi-form="ask"]'],
  ['ask-done', '/support/ask/done/', 'h1'],
  ['status-server', '/api/me/status', 'table'],
];

test('screenshots of the form pages at phone and desktop widths', async () => {
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
    await member.page.fill('#lead_email', 'not-an-email');
    await member.page.click('#sign-up-form button[type="submit"]');
    await member.page.locator('.qi-error-summary').waitFor();
    written.push(await screenshot(member.page, `sign-up-errors-${size}`));
    await member.context.close();

    // The confirmation after a sign-up with JavaScript, showing the lead's link.
    const lead = await person(browser, { context: { viewport } });
    await lead.page.goto(url('/groups/sign-up/'));
    await fillSignUp(lead.page, makeGroup(leads, `shot-${size}`));
    await Promise.all([lead.page.waitForURL(url('/groups/sign-up/done/')), lead.page.click('#sign-up-form button[type="submit"]')]);
    await lead.page.locator('[data-qi-lead-link]').waitFor({ state: 'visible' });
    written.push(await screenshot(lead.page, `sign-up-done-link-${size}`));
    await lead.context.close();

    const nojs = await person(browser, { js: false, context: { viewport } });
    await nojs.page.goto(url('/groups/sign-up/'));
    written.push(await screenshot(nojs.page, `sign-up-nojs-${size}`));
    await nojs.page.fill('#lead_cpso', 'abc');
    await Promise.all([nojs.page.waitForURL(url('/api/groups')), nojs.page.click('#sign-up-form button[type="submit"]')]);
    written.push(await screenshot(nojs.page, `server-error-${size}`));
    await nojs.context.close();
  }
  for (const f of written) assert.ok(fs.statSync(f).size > 5000, `${f} is a real image`);
});
