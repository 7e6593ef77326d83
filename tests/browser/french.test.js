// 7. The site and the journey in French. Every French page (the sitemap's
// /fr/ pages and the French confirmation pages) is in French with no English
// sentence, declares its alternates, has a language switch (lang and
// hreflang) that leads to the same page in English and back, and passes
// axe. Then a francophone physician, with JavaScript and without: proposes a
// group on the French form (refused first, in French, answers kept), lands
// on the French confirmation page, gets a French email, signs in, confirms,
// the peer accepts, they check off their activities, write the plan (refused
// first, in French) and submit it, every page on the way in French and
// passing axe. A member page's language switch records the preference.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, person, url, cpsoBlock, makeGroup, fillSignUp, linkFor, outboxMark, mailsSince, mailTo, press, apiSignIn,
  apiCheckOff, ACTIVITIES, daysAgo, fillDate, axe, describeViolations, sitemapPaths, focusOnSummary,
} from './helpers.js';

const ids = cpsoBlock(3);

let browser;
before(async () => { browser = await launch(); });
after(async () => { await browser?.close(); });

/* The French pages the sitemap leaves out (hidden: the forms' confirmation pages). */
const FRENCH_CONFIRMATIONS = [
  '/fr/groupes/inscription/verifiez-vos-courriels/', '/fr/soutien/poser-une-question/envoyee/',
  '/fr/mon-groupe/nouveau-lien/envoye/', '/fr/mon-groupe/deconnexion/',
];

/* Words of English that French prose never uses: one in a French page's
   text (outside parts marked lang="en") means an untranslated sentence. */
const ENGLISH = /\b(the|and|your|you|with|this|that|from|have|will|what|which|when|please|enter|choose|there|their|been|should|must|here|about|sign)\b/i;

/* The page is French: <html lang="fr">, and its visible text (names and
   addresses typed by people aside) has no English word. */
async function assertFrench(page, where, { typed = [] } = {}) {
  assert.equal(await page.getAttribute('html', 'lang'), 'fr', `${where}: <html lang="fr">`);
  const text = await page.evaluate(() => {
    const copy = document.body.cloneNode(true);
    copy.querySelectorAll('[lang]:not([lang="fr"]), script, style, [hidden]').forEach((n) => n.remove());
    return copy.innerText;
  });
  let rest = text.replace(/[\w.+-]+@[\w.-]+/g, ' ');
  for (const t of typed) rest = rest.split(t).join(' ');
  const found = rest.split('\n').filter((line) => ENGLISH.test(line));
  assert.deepEqual(found, [], `${where}: English text on a French page`);
}

async function assertAccessible(page, where) {
  const violations = await axe(page);
  assert.deepEqual(violations, [], describeViolations(where, violations));
}

/* The language switch: a link to the English version, marked as English,
   whose own switch leads back here. */
async function assertSwitch(page, where) {
  const link = page.locator('.site-language a');
  assert.equal(await link.count(), 1, `${where}: one language switch`);
  assert.equal(await link.getAttribute('lang'), 'en');
  assert.equal(await link.getAttribute('hreflang'), 'en');
  assert.equal((await link.innerText()).trim(), 'English');
  const alternates = await page.locator('link[rel="alternate"][hreflang]').evaluateAll((ls) => ls.map((l) => [l.hreflang, new URL(l.href).pathname]));
  const english = new URL(await link.getAttribute('href'), url('/')).pathname;
  assert.ok(alternates.some(([l, p]) => l === 'en' && p === english), `${where}: alternates name the English page ${english}`);
  assert.ok(alternates.some(([l, p]) => l === 'fr' && p === where), `${where}: alternates name this page`);
  assert.ok(alternates.some(([l]) => l === 'x-default'), `${where}: an x-default alternate`);
  return english;
}

test('every French page is French, accessible, and switches to its English version and back', async () => {
  const { context, page, problems } = await person(browser);
  const pages = (await sitemapPaths()).filter((p) => p.startsWith('/fr/') && !p.endsWith('.json'));
  assert.ok(pages.length >= 25, `the sitemap lists the French pages (found ${pages.length})`);
  for (const where of [...pages, ...FRENCH_CONFIRMATIONS]) {
    const res = await page.goto(url(where));
    assert.equal(res.status(), 200, where);
    await assertFrench(page, where);
    const english = await assertSwitch(page, where);
    await assertAccessible(page, where);
    // The English page leads back.
    await page.goto(url(english));
    assert.equal(await page.getAttribute('html', 'lang'), 'en', english);
    const back = page.locator('.site-language a');
    assert.equal(await back.getAttribute('lang'), 'fr');
    assert.equal(new URL(await back.getAttribute('href'), url('/')).pathname, where, `${english} switches back to ${where}`);
  }
  // A peer row added on the French form proposes French, like the form's own rows.
  await page.goto(url('/fr/groupes/inscription/'));
  assert.equal(await page.inputValue('#peer_1_language'), 'fr');
  await page.click('button[data-qi-add="peer"]');
  assert.equal(await page.inputValue('#peer_2_language'), 'fr', 'an added row proposes the page\'s language');
  // The check finds English where there is some: an English page fails it.
  await page.goto(url('/groups/'));
  await page.evaluate(() => document.documentElement.setAttribute('lang', 'fr'));
  await assert.rejects(assertFrench(page, '/groups/'), /English text on a French page/);
  // A missing French address answers the French 404 page.
  const missing = await page.goto(url('/fr/nulle-part/'));
  assert.equal(missing.status(), 404);
  await assertFrench(page, 'the French 404 page');
  await assertAccessible(page, 'the French 404 page');
  assert.deepEqual(problems.filter((p) => !/status of 404 .*\/fr\/nulle-part\//.test(p)), []);
  await context.close();
});

/* The journey in French, with or without JavaScript. */
async function frenchJourney(js, tag) {
  const g = makeGroup(ids, tag, 1);
  g.lead.name = `Dre Lemieux ${tag}`;
  g.lead.language = 'fr';
  g.group.name = `Groupe Nord ${tag}`;
  g.group.setting = 'Équipe de santé familiale, Sudbury';
  g.peers[0].name = `Dr Tremblay ${tag}`;
  g.peers[0].language = 'fr';
  const typed = [g.lead.name, g.group.name, g.group.setting, g.peers[0].name];
  const opts = { js, context: { locale: 'fr-CA' } };
  // axe runs in the page, so only with JavaScript (the same pages, and their
  // refused states, are checked by the journey with JavaScript).
  const assertAccessibleIfJs = js ? assertAccessible : async () => {};
  const lead = await person(browser, opts);
  const lp = lead.page;

  // The French sign-up form, refused first: the same form, in French.
  await lp.goto(url('/fr/groupes/inscription/'));
  await assertFrench(lp, 'the French sign-up form');
  assert.ok(await lp.isChecked('#lead_language-fr'), 'a French page proposes French as the lead\'s language');
  await fillSignUp(lp, { ...g, group: { ...g.group, name: '' } }, { js });
  await press(lp, '#sign-up-form button[type="submit"]');
  if (js) await focusOnSummary(lp);
  assert.match(await lp.locator('.qi-error-summary').innerText(), /Il y a un problème/);
  assert.match(await lp.title(), /^Erreur/);
  assert.equal(await lp.inputValue('#lead_name'), g.lead.name, 'the answers are kept');
  await assertFrench(lp, 'the refused French sign-up form', { typed });
  await assertAccessibleIfJs(lp, 'the refused French sign-up form');

  // Accepted: the French confirmation page; the lead's email is in French.
  const mark = await outboxMark();
  await lp.fill('#group_name', g.group.name);
  await press(lp, '#sign-up-form button[type="submit"]', '/fr/groupes/inscription/verifiez-vos-courriels/');
  await assertFrench(lp, 'the French confirmation page');
  const mail = mailTo(await mailsSince(mark), g.lead.email)[0];
  assert.ok(mail, 'the lead is emailed');
  assert.doesNotMatch(String(mail.subject || ''), ENGLISH, `a French subject: ${mail.subject}`);

  // Signing in, reviewing and confirming, in French.
  const leadLink = await linkFor(g.lead.email, mark);
  await lp.goto(leadLink);
  await assertFrench(lp, 'the sign-in page');
  const confirmed = await outboxMark();
  await press(lp, 'main form button', '/api/me/group');
  await assertFrench(lp, 'the proposal to confirm', { typed });
  await assertAccessibleIfJs(lp, 'the proposal to confirm');
  await press(lp, 'form[action="/api/me/proposal/confirm"] button:not([formaction])', (u) => u.pathname === '/api/me/group');
  await assertFrench(lp, 'the group page after confirming', { typed });

  // The peer accepts, in French.
  const peer = await person(browser, opts);
  const invitation = mailTo(await mailsSince(confirmed), g.peers[0].email)[0];
  assert.ok(invitation, 'the peer is emailed an invitation');
  assert.doesNotMatch(String(invitation.subject || ''), ENGLISH, `a French invitation: ${invitation.subject}`);
  const peerLink = await linkFor(g.peers[0].email, confirmed);
  await peer.page.goto(peerLink);
  await press(peer.page, 'main form button', '/api/me/group');
  await assertFrench(peer.page, 'the invitation', { typed });
  await press(peer.page, 'form[action="/api/me/invitation/accept"] button:not([formaction])', (u) => u.pathname === '/api/me/group' || u.pathname === '/api/me');
  await assertFrench(peer.page, 'the group page after accepting', { typed });

  // Check-offs: the lead one from the French page, the rest through the API.
  await lp.goto(url('/api/me/activities'));
  await assertFrench(lp, 'the activities page', { typed });
  await fillDate(lp, 'completed_on-qi_survey', daysAgo(2));
  await press(lp, 'section#activity-qi_survey button[name="done"][value="true"]');
  await lp.waitForSelector('section#activity-qi_survey button[name="done"][value="false"]');
  await assertFrench(lp, 'the activities page after a check-off', { typed });
  await assertAccessibleIfJs(lp, 'the activities page after a check-off');
  await apiCheckOff(await apiSignIn(leadLink), ACTIVITIES.filter((a) => a !== 'qi_survey'));
  await apiCheckOff(await apiSignIn(peerLink), ACTIVITIES);

  // The plan: refused with one goal, in French; then saved and submitted.
  await lp.goto(url('/api/me/pip'));
  await assertFrench(lp, 'the plan form', { typed });
  const plan = ['Des modèles communs dans le DME; une équipe infirmière engagée.', 'Le rappel du dépistage du cancer colorectal.'];
  await lp.fill('#strengths', plan[0]);
  await lp.fill('#improvements', plan[1]);
  const goal = async (n, aim) => {
    await lp.check(`#goal_${n}_kind-practice`);
    await lp.fill(`#goal_${n}_aim`, aim);
    await lp.fill(`#goal_${n}_measure`, 'Patients admissibles ayant un test RSOS depuis deux ans');
    await lp.fill(`#goal_${n}_baseline`, '52 %');
    await lp.fill(`#goal_${n}_target`, '70 %');
    await fillDate(lp, `goal_${n}_target_date`, '2027-06-30');
    await lp.fill(`#goal_${n}_change_ideas`, 'Une liste de rappel chaque trimestre');
  };
  const aims = ['Hausser le dépistage du cancer colorectal', 'Mieux consigner les allergies'];
  await goal(1, aims[0]);
  await press(lp, 'button[name="action"][value="submit"]');
  if (js) await focusOnSummary(lp);
  assert.match(await lp.locator('.qi-error-summary').innerText(), /Il y a un problème/);
  await assertFrench(lp, 'the refused plan', { typed: [...typed, ...plan, ...aims] });
  await assertAccessibleIfJs(lp, 'the refused plan');
  await goal(2, aims[1]);
  await press(lp, 'button[name="action"][value="submit"]');
  await lp.waitForFunction(() => !document.querySelector('button[name="action"][value="submit"]'));
  await assertFrench(lp, 'the submitted plan', { typed: [...typed, ...plan, ...aims] });
  await assertAccessibleIfJs(lp, 'the submitted plan');
  for (const page of ['/api/me', '/api/me/status', '/api/me/measures', '/api/me/group', '/api/me/activities']) {
    await lp.goto(url(page));
    await assertFrench(lp, `${page} once the plan is submitted`, { typed: [...typed, ...plan, ...aims] });
    await assertAccessibleIfJs(lp, `${page} once the plan is submitted`);
  }
  await lp.goto(url('/api/me/status'));

  // The member switches their pages to English: recorded, and shown.
  await press(lp, '.qi-member-bar__language button', (u) => u.pathname === '/api/me/status');
  assert.equal(await lp.getAttribute('html', 'lang'), 'en');
  await lp.goto(url('/api/me'));
  assert.equal(await lp.getAttribute('html', 'lang'), 'en', 'the preference is kept');
  await press(lp, '.qi-member-bar__language button', (u) => u.pathname === '/api/me');
  assert.equal(await lp.getAttribute('html', 'lang'), 'fr');

  assert.deepEqual(lead.problems, []);
  assert.deepEqual(peer.problems, []);
  await lead.context.close();
  await peer.context.close();
}

test('the journey in French with JavaScript', async () => { await frenchJourney(true, 'fr-js'); });
test('the journey in French without JavaScript', async () => { await frenchJourney(false, 'fr-nojs'); });
