// 4. Phone and zoom: at 320 CSS pixels wide (1280 px at 400% zoom) no page
// needs horizontal scrolling, and form inputs use text of at least 16px:
// the site's pages (with the footer's pages and /fr/), the server's pages
// (the sign-in page, every member page) and the forms with errors showing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, url, sitemapPaths, FORM_PAGES, CONFIRMATION_PAGES, FOOTER_PAGES, MEMBER_PAGES, press, fillDate, doneButton } from './helpers.js';
import { memberGroup, signedIn, settled } from './setup.js';

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

async function measure(page) {
  return page.evaluate(() => {
    const small = [];
    for (const f of document.querySelectorAll('input, select, textarea')) {
      if (f.type === 'hidden' || f.closest('.qi-hp')) continue;
      const size = parseFloat(getComputedStyle(f).fontSize);
      if (size < 16) small.push(`${f.tagName.toLowerCase()}#${f.id || f.name} ${size}px`);
    }
    const wide = [];
    for (const e of document.body.querySelectorAll('*')) {
      const r = e.getBoundingClientRect();
      if (r.right > document.documentElement.clientWidth + 1 && !e.closest('.qi-table-scroll, .qi-hp, .qi-visually-hidden')) {
        wide.push(`${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}${e.className && typeof e.className === 'string' ? '.' + e.className.split(' ')[0] : ''} (${Math.round(r.right)}px)`);
      }
    }
    return { scrollWidth: document.documentElement.scrollWidth, small, wide: wide.slice(0, 5) };
  });
}

test('at 320px wide no page scrolls sideways and inputs use 16px text', async () => {
  const { links } = await memberGroup(5, 'reflow');
  const member = await signedIn(browser, links.peer1, { context: { viewport: { width: 320, height: 640 } } });
  const signIn = new URL(links.peer2);
  const paths = [...new Set([...(await sitemapPaths()), ...FORM_PAGES, ...CONFIRMATION_PAGES, ...FOOTER_PAGES, '/no-such-page/',
    ...MEMBER_PAGES, signIn.pathname + signIn.search, '/api/access?code=not-valid'])];
  const failures = [];
  for (const p of paths) {
    const res = await member.page.goto(url(p));
    assert.ok(res, `loaded ${p}`);
    await settled(member.page);
    const m = await measure(member.page);
    if (m.scrollWidth > 320) failures.push(`${p}: scrollWidth ${m.scrollWidth} > 320; too wide: ${m.wide.join(', ')}`);
    if (m.small.length) failures.push(`${p}: text under 16px in ${m.small.join(', ')}`);
  }
  // The group page as the lead, with the invite form refused (long answers kept).
  const lead = await signedIn(browser, links.lead, { context: { viewport: { width: 320, height: 640 } } });
  await lead.page.goto(url('/api/me/group'));
  for (const s of await lead.page.locator('details.qi-confirm > summary').all()) await s.click();
  await lead.page.fill('#peer_cpso', '12x');
  await lead.page.fill('#peer_email', 'not-an-email-address-that-is-rather-long-indeed@');
  await press(lead.page, lead.page.getByRole('button', { name: 'Send the invitation' }));
  let m = await measure(lead.page);
  if (m.scrollWidth > 320) failures.push(`group page, invite refused: scrollWidth ${m.scrollWidth}; ${m.wide.join(', ')}`);
  if (m.small.length) failures.push(`group page: text under 16px in ${m.small.join(', ')}`);
  await lead.context.close();

  // A check-off refused (the three date fields with their message).
  await member.page.goto(url('/api/me/activities'));
  await fillDate(member.page, 'completed_on-data_driven_qi', { day: '31', month: '2', year: '2026' });
  await doneButton(member.page, 'data_driven_qi').click();
  await member.page.waitForFunction(() => document.activeElement && document.activeElement.hasAttribute('data-qi-error-summary'));
  m = await measure(member.page);
  if (m.scrollWidth > 320) failures.push(`check-off refused: scrollWidth ${m.scrollWidth}; ${m.wide.join(', ')}`);

  // The sign-up form with every peer row and error messages showing.
  await member.page.goto(url('/groups/sign-up/'));
  for (let i = 0; i < 5; i++) await member.page.click('button[data-qi-add="peer"]');
  await member.page.fill('#peer_6_email', 'not-an-email-address-that-is-rather-long-indeed@');
  await member.page.click('#sign-up-form button[type="submit"]');
  await member.page.locator('.qi-error-summary').waitFor();
  m = await measure(member.page);
  if (m.scrollWidth > 320) failures.push(`sign-up with errors: scrollWidth ${m.scrollWidth}; ${m.wide.join(', ')}`);
  assert.deepEqual(failures, [], failures.join('\n'));
  await member.context.close();
});
