// The demo application in a real browser: Debian's chromium, headless,
// driven by playwright-core (never a browser of Playwright's own). Run by
// browser_test.go, which builds and starts the service and passes:
//   DEMO_BASE_URL   the service, on loopback, with its embedded emulators
//   REPO_ROOT       the repository, whose persona files give the expected values
//   ARTIFACTS_DIR   where the screenshots of each filled form go (gitignored)
//   DEMO_SCREENSHOT when set, where the README's screenshot is written
//   CHROMIUM        the browser binary (/usr/bin/chromium)
import { chromium } from 'playwright-core';
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BASE = process.env.DEMO_BASE_URL;
const REPO = process.env.REPO_ROOT;
const ARTIFACTS = process.env.ARTIFACTS_DIR;
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const STEP = 30_000; // ms any one wait may take (CI shares two cores)
assert.ok(BASE && REPO && ARTIFACTS, 'DEMO_BASE_URL, REPO_ROOT and ARTIFACTS_DIR are required');
mkdirSync(ARTIFACTS, { recursive: true });

// The personas, from the repository's files.
const personaDir = join(REPO, 'emulator', 'personas');
const myinfo = Object.fromEntries(readdirSync(join(personaDir, 'myinfo')).map((f) =>
  [f.replace(/\.json$/, ''), JSON.parse(readFileSync(join(personaDir, 'myinfo', f), 'utf8'))]));
const myinfoSummaries = JSON.parse(readFileSync(join(personaDir, 'myinfo-summaries.json'), 'utf8'));
const oneid = Object.fromEntries(readdirSync(join(personaDir, 'oneid')).map((f) =>
  [f.replace(/\.json$/, ''), JSON.parse(readFileSync(join(personaDir, 'oneid', f), 'utf8'))]));
const corppass = Object.fromEntries(readdirSync(join(personaDir, 'corppass')).map((f) =>
  [f.replace(/\.json$/, ''), JSON.parse(readFileSync(join(personaDir, 'corppass', f), 'utf8'))]));

const BUTTONS = {
  myinfo: 'Retrieve Myinfo with Singpass',
  singpass: 'Retrieve Myinfo with Singpass (FAPI 2.0)',
  oneid: 'Verify with OneID',
  corppass: 'Log in with Corppass',
};

let userDataDir, context, page, problems;

before(async () => {
  userDataDir = mkdtempSync(join(tmpdir(), 'idconnect-chromium-'));
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1000, height: 900 },
  });
  context.setDefaultTimeout(STEP);
});

after(async () => {
  await context?.close();
  if (userDataDir) { rmSync(userDataDir, { recursive: true, force: true }); }
});

// Each test starts as a new visitor: no cookies, a fresh page, and a
// record of every script error and CSP refusal, which fail the test.
beforeEach(async () => {
  await context.clearCookies();
  for (const p of context.pages()) { await p.close(); }
  page = await context.newPage();
  problems = [];
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
  page.on('console', (m) => { if (m.type() === 'error') { problems.push('console: ' + m.text()); } });
});

function noProblems() {
  assert.deepEqual(problems, [], 'the pages logged errors (a CSP refusal, a failed load, a script error)');
}

const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// emulatorPage waits until the browser is at an emulator's page.
async function atEmulator(name) {
  await page.waitForURL((u) => u.pathname.startsWith('/emulator/' + name + '/'));
}

// backAtDemo waits until the demo page has loaded what came back.
async function backAtDemo() {
  await page.waitForURL((u) => u.pathname === '/' && u.origin === new URL(BASE).origin);
  await page.waitForSelector('body[data-loaded="true"]');
}

// login runs one login with the mouse: the provider's button, the
// persona on the emulator's login page, then Allow or Deny.
async function login(provider, personaName, decision = 'Allow') {
  await page.goto(BASE + '/');
  await page.getByRole('button', { name: BUTTONS[provider], exact: true }).click();
  await atEmulator(provider);
  await page.getByRole('button', { name: new RegExp(escape(personaName)) }).click();
  await page.getByRole('button', { name: decision, exact: true }).click();
  await backAtDemo();
}

async function value(id) { return page.locator('#' + id).inputValue(); }
async function readOnly(id) { return page.locator('#' + id).evaluate((el) => el.readOnly); }
async function note(id) { return (await page.locator('#' + id + '-source').textContent()).trim(); }

const item = (p, name) => (p[name] && !p[name].unavailable ? p[name] : null);
const described = (it) => (it ? it.desc || it.code || '' : '');

// checkSG compares the Singapore section with a Myinfo persona's file.
async function checkSG(p) {
  const want = {
    'sg-name': item(p, 'name')?.value || '',
    'sg-uinfin': item(p, 'uinfin')?.value || '',
    'sg-sex': described(item(p, 'sex')),
    'sg-dob': item(p, 'dob')?.value || '',
    'sg-nationality': described(item(p, 'nationality')),
    'sg-email': item(p, 'email')?.value || '',
  };
  const mobile = item(p, 'mobileno');
  want['sg-mobile'] = mobile && mobile.nbr?.value ? `${mobile.prefix?.value || ''}${mobile.areacode?.value || ''} ${mobile.nbr.value}`.trim() : '';
  const items = { 'sg-name': 'name', 'sg-uinfin': 'uinfin', 'sg-sex': 'sex', 'sg-dob': 'dob', 'sg-nationality': 'nationality', 'sg-email': 'email', 'sg-mobile': 'mobileno' };
  for (const [id, expected] of Object.entries(want)) {
    assert.equal(await value(id), expected, id);
    const it = p[items[id]];
    if (expected === '') {
      assert.equal(await readOnly(id), false, id + ' is missing, so the person may type it');
      assert.match(await note(id), /Not available/, id);
    } else if (it.source === '1' || it.source === '4') {
      assert.equal(await readOnly(id), true, id + ' is verified, so read-only');
      assert.match(await note(id), new RegExp('verified.*last updated ' + escape(it.lastupdated), 'i'), id);
    }
  }
  const regadd = item(p, 'regadd');
  const address = await value('sg-regadd');
  for (const part of ['block', 'street', 'postal', 'line1', 'line2']) {
    if (regadd?.[part]?.value?.trim()) { assert.ok(address.includes(regadd[part].value.trim()), `address ${JSON.stringify(address)} lacks ${part}`); }
  }
  if (regadd?.floor?.value || regadd?.unit?.value) { assert.ok(address.includes(`#${regadd.floor.value}-${regadd.unit.value}`), 'address lacks the unit'); }
}

// checkUK compares the UK section with a OneID persona's file.
async function checkUK(p) {
  const ui = p.userinfo;
  assert.equal(await value('uk-name'), ui.name);
  assert.equal(await value('uk-dob'), ui.birthdate);
  for (const id of ['uk-name', 'uk-dob', 'uk-address']) {
    assert.equal(await readOnly(id), true, id);
    assert.match(await note(id), /Verified by the bank · OneID/, id);
  }
  const address = await value('uk-address');
  assert.ok(address.includes(ui.address.street_address) && address.includes(ui.address.postal_code), address);
  const badge = (await page.locator('#uk-over18').textContent()).trim();
  assert.equal(badge, p.ageverification.age_over_18 ? 'Over 18' : 'Under 18');
  const claims = ui.unverified_claims?.claims;
  const box = page.locator('#unverified-uk');
  if (claims?.name) {
    await box.waitFor({ state: 'visible' });
    assert.match(await box.textContent(), new RegExp(escape(claims.name)));
    assert.notEqual(await value('uk-name'), claims.name, 'an unverified name in a verified field');
  } else {
    assert.equal(await box.isVisible(), false, 'unverified values from nowhere');
  }
}

// checkCompany compares the company section with a Corppass entity's file
// and the acting person's Myinfo file.
async function checkCompany(entity, personID) {
  const bp = entity.entity_info.basic_profile;
  const want = {
    'company-name': bp.name.value,
    'company-uen': bp.registration_number.value,
    'company-type': described(bp.type),
    'company-status': described(bp.uen_status),
    'company-registered': bp.registration_date.value,
    'company-officer': myinfo[personID].name.value,
    'company-position': described(entity.entity_info.appointments
      .find((a) => a.individual_appointment?.id_number?.value === personID)?.position),
  };
  for (const [id, expected] of Object.entries(want)) {
    assert.equal(await value(id), expected, id);
  }
  for (const id of ['company-name', 'company-uen', 'company-status']) {
    assert.equal(await readOnly(id), true, id + ' is verified, so read-only');
    assert.match(await note(id), new RegExp('Government-verified · Corppass · last updated ' + escape(bp.name.lastupdated)), id);
  }
  // The whole name shows: a long company name is not cut off in its box.
  const cut = await page.locator('#company-name').evaluate((el) => el.scrollWidth > el.clientWidth);
  assert.equal(cut, false, `the company name ${JSON.stringify(bp.name.value)} is cut off in its field`);
  const address = await value('company-address');
  const a = item(entity.entity_info, 'address');
  if (a) {
    for (const part of ['street', 'postal']) { assert.ok(address.includes(a[part].value), `address ${JSON.stringify(address)} lacks ${part}`); }
  } else {
    assert.equal(address, '');
    assert.match(await note('company-address'), /Not available from Corppass/);
  }
}

async function shot(name) {
  await page.screenshot({ path: join(ARTIFACTS, name + '.png'), fullPage: true });
}

test('Myinfo v3 fills the form: the seed person, a family, a foreign address, items unavailable', async () => {
  for (const id of ['S6005048A', 'S8214727F', 'S8734562I', 'S0528417A']) {
    await context.clearCookies();
    await login('myinfo', myinfo[id].name.value);
    await checkSG(myinfo[id]);
    await shot('myinfo-' + id);
  }
  noProblems();
});

test('Singpass FAPI 2.0 fills the form: a FIN holder, a name with punctuation', async () => {
  for (const id of ['F3275914U', 'S8652190C']) {
    await context.clearCookies();
    await login('singpass', myinfo[id].name.value);
    await checkSG(myinfo[id]);
    await shot('singpass-' + id);
  }
  noProblems();
});

test('OneID fills the UK section with bank-verified values, unverified claims apart', async () => {
  for (const id of ['janet-davidson', 'ruby-okafor']) {
    await context.clearCookies();
    await login('oneid', oneid[id].userinfo.name);
    await checkUK(oneid[id]);
    await shot('oneid-' + id);
  }
  noProblems();
});

test('Corppass fills the company section: a company, and a person acting for two entities picking the other', async () => {
  // The login page lists each entity with each person acting for it.
  await page.goto(BASE + '/');
  await page.getByRole('button', { name: BUTTONS.corppass, exact: true }).click();
  await atEmulator('corppass');
  const text = await page.locator('body').textContent();
  for (const e of Object.values(corppass)) {
    for (const u of e.users) {
      assert.ok(text.includes(`${myinfo[u.id].name.value} for ${e.sub_attributes.entity_name}`) && text.includes(e.summary),
        `the Corppass login page lacks ${u.id} for ${e.sub_attributes.entity_reg_number}`);
    }
  }
  await context.clearCookies();
  for (const [uen, id] of [['201834567M', 'T0163548J'], ['53312345K', 'S8214727F'], ['200912345D', 'S9164083Z']]) {
    await context.clearCookies();
    await login('corppass', `${myinfo[id].name.value} for ${corppass[uen].sub_attributes.entity_name}`);
    await checkCompany(corppass[uen], id);
    await shot('corppass-' + uen);
  }
  noProblems();
});

test('the emulators list every persona with its edge case, and the consent page its items and purpose', async () => {
  await page.goto(BASE + '/');
  await page.getByRole('button', { name: BUTTONS.myinfo, exact: true }).click();
  await atEmulator('myinfo');
  const text = await page.locator('body').textContent();
  for (const [id, summary] of Object.entries(myinfoSummaries)) {
    assert.ok(text.includes(myinfo[id].name.value) && text.includes(summary), 'the Myinfo login page lacks ' + id);
  }
  await page.getByRole('button', { name: new RegExp(escape(myinfo.S6005048A.name.value)) }).click();
  const consent = await page.locator('body').textContent();
  assert.match(consent, /Opening an account \(idconnect demo\)/, 'the purpose');
  for (const label of ['NRIC/FIN', 'Name', 'Registered address', 'Mobile number']) { assert.ok(consent.includes(label), 'the item ' + label); }
  await page.getByRole('button', { name: 'Deny', exact: true }).waitFor();
  await context.clearCookies();
  await page.goto(BASE + '/');
  await page.getByRole('button', { name: BUTTONS.oneid, exact: true }).click();
  await atEmulator('oneid');
  const bank = await page.locator('body').textContent();
  for (const p of Object.values(oneid)) { assert.ok(bank.includes(p.userinfo.name) && bank.includes(p.summary), 'the OneID login page lacks ' + p.userinfo.name); }
  await page.getByRole('button', { name: /Janet Davidson/ }).click();
  const share = await page.locator('body').textContent();
  for (const says of ['your name', 'your date of birth', 'your address', 'whether you are over 18', 'Purpose: Demonstration of idconnect']) {
    assert.ok(share.includes(says), 'OneID consent lacks ' + says);
  }
  await page.getByRole('button', { name: 'Deny', exact: true }).waitFor();
  await context.clearCookies();
  await page.goto(BASE + '/');
  await page.getByRole('button', { name: BUTTONS.singpass, exact: true }).click();
  await atEmulator('singpass');
  await page.getByRole('button', { name: new RegExp(escape(myinfo.S6005048A.name.value)) }).click();
  const fapi = await page.locator('body').textContent();
  for (const says of ['Registered address (regadd)', 'Email (email)', 'Purpose: Demonstration of idconnect']) { assert.ok(fapi.includes(says), 'Singpass consent lacks ' + says); }
  noProblems();
});

test('a denied consent shows a message with a retry', async () => {
  await login('myinfo', myinfo.S6005048A.name.value, 'Deny');
  const box = page.locator('#message-sg');
  await box.waitFor({ state: 'visible' });
  assert.match(await box.textContent(), /Nothing was shared/);
  assert.equal(await page.evaluate(() => document.activeElement.id), 'message-sg', 'focus moves to the message');
  assert.equal(await value('sg-name'), '', 'nothing is filled');
  await shot('denied');
  await box.getByRole('button', { name: 'Try again: ' + BUTTONS.myinfo }).click();
  await atEmulator('myinfo');
  noProblems();
});

test('an expired login and a provider error each show their message', async () => {
  // OneID's SessionExpired sub-code, as OneID sends it for a journey that
  // took too long.
  await page.goto(BASE + '/');
  await page.getByRole('button', { name: BUTTONS.oneid, exact: true }).click();
  await atEmulator('oneid');
  await page.goto(page.url() + '&oneid_error=SessionExpired');
  await backAtDemo();
  assert.match(await page.locator('#message-uk').textContent(), /Your login expired/);
  await shot('expired');
  // A provider that redirects back with server_error (the OAuth error of
  // a provider failing), for the login's own state.
  await context.clearCookies();
  await page.goto(BASE + '/');
  await page.getByRole('button', { name: BUTTONS.oneid, exact: true }).click();
  await atEmulator('oneid');
  const state = new URL(page.url()).searchParams.get('state');
  await page.goto(BASE + '/demo/callback/oneid?error=server_error&state=' + encodeURIComponent(state));
  await backAtDemo();
  assert.match(await page.locator('#message-uk').textContent(), /The provider could not complete the login/);
  assert.equal(await value('uk-name'), '');
  await shot('provider-error');
  noProblems();
});

// focused describes the focused element: its id, or its text.
const focused = () => page.evaluate(() => {
  const el = document.activeElement;
  return { id: el.id, text: (el.textContent || el.value || '').trim() };
});

async function tabTo(match, limit = 60) {
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press('Tab');
    const f = await focused();
    if (match(f)) { return; }
  }
  assert.fail('Tab never reached the element');
}

test('the keyboard alone completes a login, in a sensible focus order', async () => {
  await page.goto(BASE + '/');
  // Focus order is the page's order: the skip link, the providers'
  // buttons, then the fields, section by section.
  const order = await page.evaluate(() => [...document.querySelectorAll('a[href], button, input, textarea')]
    .filter((el) => el.offsetParent !== null || el.classList.contains('skip')).map((el) => el.id || el.textContent.trim()));
  const seen = [];
  for (let i = 0; i < order.length * 3 && seen.length < order.length; i++) {
    await page.keyboard.press('Tab');
    const f = await focused();
    const name = f.id || f.text;
    if (seen[seen.length - 1] !== name) { seen.push(name); } // a date input holds three stops
  }
  assert.deepEqual(seen, order);
  await page.goto(BASE + '/');
  await tabTo((f) => f.id === 'start-myinfo');
  await page.keyboard.press('Enter');
  await atEmulator('myinfo');
  await tabTo((f) => f.text.includes(myinfo.S8214727F.name.value));
  await page.keyboard.press('Enter');
  await page.getByRole('button', { name: 'Allow', exact: true }).waitFor();
  if ((await focused()).text !== 'Allow') { await tabTo((f) => f.text === 'Allow'); }
  await page.keyboard.press('Enter');
  await backAtDemo();
  await checkSG(myinfo.S8214727F);
  noProblems();
});

// The page and the emulators' pages fit a phone's width: nothing is wider
// than the viewport.
async function fitsWidth(what) {
  const { scroll, width } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: window.innerWidth }));
  assert.ok(scroll <= width, `${what}: ${scroll}px wide in a ${width}px viewport`);
}

test('a phone-sized viewport has no horizontal scroll', async () => {
  await page.setViewportSize({ width: 375, height: 740 });
  await page.goto(BASE + '/');
  await fitsWidth('the demo page');
  await page.getByRole('button', { name: BUTTONS.oneid, exact: true }).click();
  await atEmulator('oneid');
  await fitsWidth('the OneID login page');
  await page.getByRole('button', { name: /Janet Davidson/ }).click();
  await fitsWidth('the OneID consent page');
  await page.getByRole('button', { name: 'Allow', exact: true }).click();
  await backAtDemo();
  await checkUK(oneid['janet-davidson']);
  await fitsWidth('the filled demo page');
  await shot('phone-oneid');
  await context.clearCookies();
  await page.goto(BASE + '/');
  await page.getByRole('button', { name: BUTTONS.singpass, exact: true }).click();
  await atEmulator('singpass');
  await fitsWidth('the Singpass login page');
  await page.getByRole('button', { name: new RegExp(escape(myinfo.S1111111D.name.value)) }).click();
  await fitsWidth('the Singpass consent page');
  await page.getByRole('button', { name: 'Allow', exact: true }).click();
  await backAtDemo();
  await fitsWidth('the page filled by the sample person');
  await shot('phone-singpass');
  noProblems();
});

// Text contrast meets WCAG AA (4.5:1) for the page's text and controls.
test('text contrast is at least 4.5:1', async () => {
  await login('oneid', oneid['janet-davidson'].userinfo.name);
  const low = await page.evaluate(() => {
    const rgb = (c) => (c.match(/[\d.]+/g) || []).map(Number);
    const lum = ([r, g, b]) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; }; return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
    const bg = (el) => { for (; el; el = el.parentElement) { const c = rgb(getComputedStyle(el).backgroundColor); if (c.length === 3 || (c.length === 4 && c[3] > 0)) { return c.slice(0, 3); } } return [255, 255, 255]; };
    const out = [];
    for (const el of document.querySelectorAll('h1, h2, h3, p, label, button, input, textarea, dt, dd, a, .source, .badge')) {
      if (!el.offsetParent || !(el.textContent || el.value || '').trim()) { continue; }
      const a = lum(rgb(getComputedStyle(el).color)), b = lum(bg(el));
      const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
      if (ratio < 4.5) { out.push(`${el.tagName}#${el.id} "${(el.textContent || el.value).trim().slice(0, 30)}": ${ratio.toFixed(2)}`); }
    }
    return out;
  });
  assert.deepEqual(low, []);
});

// Every section filled, one login after another: the README's screenshot
// (docs/demo.png), written there only when DEMO_SCREENSHOT says so
// (go test -update).
test('every section filled, one after the other', async () => {
  await login('myinfo', myinfo.S8214727F.name.value);
  await login('oneid', oneid['janet-davidson'].userinfo.name);
  await login('corppass', `${myinfo.T0163548J.name.value} for ${corppass['201834567M'].sub_attributes.entity_name}`);
  await checkSG(myinfo.S8214727F);
  await checkUK(oneid['janet-davidson']);
  await checkCompany(corppass['201834567M'], 'T0163548J');
  await page.evaluate(() => document.activeElement.blur());
  await shot('demo');
  if (process.env.DEMO_SCREENSHOT) {
    await page.screenshot({ path: process.env.DEMO_SCREENSHOT, fullPage: true });
  }
  noProblems();
});
