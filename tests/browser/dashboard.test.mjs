// End-to-end tests of the dashboard: a real `tally serve` process (test clock on, a fresh
// SQLite file, 127.0.0.1:0), data set up through the HTTP API, and a real headless Chromium
// driven by playwright-core. Every number the page shows is compared with what the API
// answers.
//
// Environment:
//   TALLY_BIN              the binary under test (default: <repo>/target/debug/tally)
//   CHROMIUM               the browser (default: /usr/bin/chromium)
//   TALLY_SCREENSHOTS_DIR  where screenshots go (default: a temp dir; `npm run screenshots`
//                          writes docs/screenshots/)

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, mkdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const AXE_PATH = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const TALLY_BIN = process.env.TALLY_BIN || join(REPO, 'target', 'debug', 'tally');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const ADMIN_KEY = 'tk_admin_browser_e2e_0123456789abcdef';
const SERVER_START_MS = 30_000;
const EVENTUALLY_MS = 10_000;
const TEST_TIMEOUT_MS = 90_000;
const ACTION_TIMEOUT_MS = 15_000;
const DAY_SECONDS = 86_400;

/** State shared by the tests (they run in order, on one server and one browser). */
const world = {
  server: null,
  base: '',
  dirs: [],
  context: null,
  page: null,
  screenshots: '',
  requestedUrls: [],
  acmeKey: '',
  globexKey: '',
};

// ------------------------------------------------------------------------------------------
// Helpers
// ------------------------------------------------------------------------------------------

/** Starts `tally serve` and reads its port from the line it prints when listening. */
async function startServer(dir) {
  const child = spawn(
    TALLY_BIN,
    ['serve', '--db', join(dir, 'tally.db'), '--listen', '127.0.0.1:0', '--admin-key', ADMIN_KEY, '--test-clock'],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, RUST_LOG: process.env.RUST_LOG || 'info' } },
  );
  const server = { child, output: '', base: '' };
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => { server.output += chunk; });
  server.base = await new Promise((resolvePort, reject) => {
    const timer = setTimeout(() => reject(new Error(`tally serve did not start:\n${server.output}`)), SERVER_START_MS);
    child.stdout.on('data', (chunk) => {
      server.output += chunk;
      const match = server.output.match(/tally listening on (http:\/\/127\.0\.0\.1:\d+) \(store: /);
      if (match) {
        clearTimeout(timer);
        resolvePort(match[1]);
      }
    });
    child.on('error', (error) => { clearTimeout(timer); reject(error); });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`tally serve exited (${code}):\n${server.output}`)); });
  });
  return server;
}

/** One API call; `json` is null when the body is not JSON. */
async function api(method, path, { key = ADMIN_KEY, body, headers = {} } = {}) {
  const response = await fetch(world.base + path, {
    method,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    redirect: 'manual',
  });
  const text = await response.text();
  let json = null;
  try { json = JSON.parse(text); } catch { json = null; }
  return { status: response.status, json, text };
}

/** An API call that must succeed. */
async function ok(method, path, options) {
  const answer = await api(method, path, options);
  assert.ok(answer.status >= 200 && answer.status < 300, `${method} ${path} answered ${answer.status}: ${answer.text}`);
  return answer.json;
}

/** Every entry of a list endpoint, following `starting_after`. */
async function listAll(path, key = ADMIN_KEY) {
  const all = [];
  let cursor = '';
  for (;;) {
    const separator = path.includes('?') ? '&' : '?';
    const page = await ok('GET', `${path}${separator}limit=1000${cursor ? `&starting_after=${cursor}` : ''}`, { key });
    all.push(...page.data);
    if (!page.has_more) return all;
    cursor = page.data[page.data.length - 1].id;
  }
}

/**
 * An amount of credits as the dashboard shows it: the API's number with thousands
 * separators. JSON amounts have at most 15 significant digits, so String() is their text.
 */
function formatCredits(value) {
  const text = String(value);
  const negative = text.startsWith('-');
  const [whole, fraction] = text.replace('-', '').split('.');
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${negative ? '-' : ''}${grouped}${fraction ? `.${fraction}` : ''}`;
}

/** Retries `check` until it stops throwing (for what JavaScript updates as you type). */
async function eventually(check, timeoutMs = EVENTUALLY_MS) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((done) => setTimeout(done, 50));
    }
  }
}

async function text(testId) {
  return (await world.page.getByTestId(testId).first().textContent()).trim();
}

async function shot(name, page = world.page) {
  await page.screenshot({ path: join(world.screenshots, `${name}.png`), fullPage: true });
}

/**
 * Runs axe-core (WCAG 2.0 and 2.1, levels A and AA) on the page as it is and fails with each
 * violation's rule, impact and elements. `name` says which page it was.
 */
async function assertAccessible(name, page = world.page) {
  // Evaluated through the DevTools protocol: the page's CSP (script-src 'self') refuses an
  // injected <script>, and rightly so.
  if (!world.axeSource) world.axeSource = await readFile(AXE_PATH, 'utf8');
  await page.evaluate(world.axeSource);
  const violations = await page.evaluate(async () => {
    const result = await window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
      resultTypes: ['violations'],
    });
    return result.violations.map((violation) => ({
      id: violation.id,
      impact: violation.impact,
      help: violation.help,
      targets: violation.nodes.slice(0, 5).map((node) => `${node.target.join(' ')}: ${node.failureSummary}`),
    }));
  });
  assert.deepEqual(violations, [], `${name}: WCAG 2 AA violations:\n${JSON.stringify(violations, null, 2)}`);
}

async function goto(path) {
  return world.page.goto(world.base + path);
}

async function signIn(key) {
  await world.context.clearCookies();
  await goto('/sign-in');
  await world.page.getByTestId('key-input').fill(key);
  await world.page.getByTestId('sign-in').click();
}

async function signInAndWait(key, landing) {
  await signIn(key);
  await world.page.waitForURL((url) => url.pathname === landing);
}

/** Parses CSV (RFC 4180: quoted fields, doubled quotes, CRLF). */
function parseCsv(csv) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  for (let index = 0; index < csv.length; index += 1) {
    const character = csv[index];
    if (quoted) {
      if (character === '"' && csv[index + 1] === '"') { field += '"'; index += 1; }
      else if (character === '"') quoted = false;
      else field += character;
    } else if (character === '"') quoted = true;
    else if (character === ',') { row.push(field); field = ''; }
    else if (character === '\n') { row.push(field.replace(/\r$/, '')); rows.push(row); row = []; field = ''; }
    else field += character;
  }
  if (field !== '' || row.length > 0) { row.push(field); rows.push(row); }
  return rows;
}

/** Clicks the page's CSV link and returns its rows as objects keyed by the header. */
async function downloadCsv() {
  const [download] = await Promise.all([
    world.page.waitForEvent('download'),
    world.page.getByTestId('export-csv').click(),
  ]);
  const path = join(world.dirs[0], `export-${Date.now()}.csv`);
  await download.saveAs(path);
  const rows = parseCsv(await readFile(path, 'utf8'));
  const [header, ...data] = rows;
  return { header, records: data.map((cells) => Object.fromEntries(header.map((name, i) => [name, cells[i]]))) };
}

/** Whether the pricing API (rate card and quotes) is served yet. */
async function pricingRoutes() {
  const card = await api('GET', '/v1/rate-card');
  const quote = await api('POST', '/v1/quotes', { body: { usage: { action: 'chat', model: 'none', input_tokens: 1, output_tokens: 1 } } });
  const missing = (answer) => answer.status === 404 && (!answer.json || answer.json.detail === 'no such route');
  return { card: !missing(card), quotes: !missing(quote), items: card.json?.items || [] };
}

// ------------------------------------------------------------------------------------------
// Set-up: one server with two accounts and a week of spending, one browser
// ------------------------------------------------------------------------------------------

before(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tally-browser-'));
  world.dirs.push(dir);
  world.screenshots = process.env.TALLY_SCREENSHOTS_DIR
    ? resolve(dirname(fileURLToPath(import.meta.url)), process.env.TALLY_SCREENSHOTS_DIR)
    : join(dir, 'screenshots');
  await mkdir(world.screenshots, { recursive: true });
  world.server = await startServer(dir);
  world.base = world.server.base;

  await ok('POST', '/v1/accounts', { body: { id: 'acme', name: 'Acme Inc.' } });
  await ok('POST', '/v1/accounts', { body: { id: 'globex', name: 'Globex Secret Corp' } });
  await ok('POST', '/v1/accounts/globex/grants', { body: { amount: 777.25, description: 'globex only' } });
  world.acmeKey = (await ok('POST', '/v1/accounts/acme/keys')).key;
  world.globexKey = (await ok('POST', '/v1/accounts/globex/keys')).key;

  // Acme: the Pro plan with 2 seats, a promo that expires in 20 days, a week of spending
  // across products and members, and a hold in progress.
  await ok('PUT', '/v1/accounts/acme/subscription', { body: { plan: 'pro', seats: 2 } });
  const { now } = await ok('GET', '/v1/clock');
  const promoExpiry = new Date(Date.parse(now) + 20 * DAY_SECONDS * 1000).toISOString();
  await ok('POST', '/v1/accounts/acme/grants', {
    body: { amount: 1500, source: 'promo', expires_at: promoExpiry, description: 'Welcome bonus' },
  });
  const pricing = await pricingRoutes();
  const chatModel = pricing.items.find((item) => item.action === 'chat')?.model;
  const spend = [
    ['assistant', 'ada', 1840.5], ['knowledge', 'grace', 620.125], ['studio', 'linus', 3200],
    ['code', 'ada', 410.75], ['workflow', 'grace', 95],
  ];
  for (let day = 0; day < 6; day += 1) {
    for (const [index, [product, member, amount]] of spend.entries()) {
      if ((day + index) % 4 === 3) continue;
      await ok('POST', '/v1/accounts/acme/charges', {
        key: world.acmeKey,
        body: { amount: (Math.round(amount * 1000) + day * 111_111) / 1000, product, member, description: `${product} work, day ${day + 1}` },
      });
    }
    if (chatModel) {
      await ok('POST', '/v1/accounts/acme/charges', {
        key: world.acmeKey,
        body: { usage: { product: 'assistant', member: 'ada', action: 'chat', model: chatModel, input_tokens: 120000, output_tokens: 40000 } },
      });
    }
    await ok('POST', '/v1/clock', { body: { advance_seconds: DAY_SECONDS } });
  }
  await ok('POST', '/v1/accounts/acme/holds', {
    key: world.acmeKey,
    body: { amount: 600, ttl_seconds: 3600, product: 'studio', description: 'video render' },
  });

  const userDataDir = await mkdtemp(join(tmpdir(), 'tally-chromium-'));
  world.dirs.push(userDataDir);
  world.context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 900 },
    acceptDownloads: true,
  });
  world.context.setDefaultTimeout(ACTION_TIMEOUT_MS);
  world.context.on('request', (request) => world.requestedUrls.push(request.url()));
  world.page = world.context.pages()[0] || await world.context.newPage();
});

after(async () => {
  await world.context?.close();
  if (world.server) {
    const exited = new Promise((done) => world.server.child.once('exit', done));
    world.server.child.kill('SIGTERM');
    await exited;
  }
  for (const dir of world.dirs) await rm(dir, { recursive: true, force: true });
});

// ------------------------------------------------------------------------------------------
// The tests
// ------------------------------------------------------------------------------------------

test('a wrong key shows an error and no data', { timeout: TEST_TIMEOUT_MS }, async () => {
  await goto('/');
  assert.equal(new URL(world.page.url()).pathname, '/sign-in', 'signed out, / leads to sign-in');
  await shot('sign-in');
  await signIn('tk_live_not_a_real_key_000000000000');
  await world.page.getByTestId('sign-in-error').waitFor();
  assert.match(await text('sign-in-error'), /not valid/);
  assert.equal(await world.page.getByTestId('available').count(), 0);
  assert.equal(await world.page.getByTestId('nav-overview').count(), 0);
  const html = await world.page.content();
  assert.ok(!html.includes('Acme') && !html.includes('Globex'), 'no account data on the page');
  await shot('sign-in-error');
  await goto('/ledger');
  assert.equal(new URL(world.page.url()).pathname, '/sign-in', 'no session was started');
});

test('sign in with an account key and see the API balance', { timeout: TEST_TIMEOUT_MS }, async () => {
  await signInAndWait(world.acmeKey, '/');
  const balance = await ok('GET', '/v1/accounts/acme/balance', { key: world.acmeKey });
  assert.equal(await text('available'), formatCredits(balance.available));
  assert.equal(await text('held'), formatCredits(balance.held));
  assert.equal(await text('held'), '600');
  const plan = await text('plan');
  assert.match(plan, /Pro/);
  assert.match(plan, /2 seats/);
  assert.ok(plan.includes(formatCredits(balance.plan.allowance_left)), plan);
  const forecast = await text('forecast');
  assert.match(forecast, /At this rate/);
  assert.ok(forecast.includes(formatCredits(balance.forecast.burn_per_day)), forecast);
  for (const nav of ['nav-overview', 'nav-calculator', 'nav-usage', 'nav-ledger', 'nav-packs']) {
    assert.equal(await world.page.getByTestId(nav).count(), 1, nav);
  }
  assert.equal(await world.page.getByTestId('nav-admin').count(), 0);
  const cookie = (await world.context.cookies()).find((c) => c.name === 'tally_session');
  assert.ok(cookie, 'a session cookie');
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.sameSite, 'Strict');
  await shot('overview');
  await world.page.setViewportSize({ width: 390, height: 844 });
  await world.page.reload();
  const overflow = await world.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `no horizontal scrolling at phone width (overflow ${overflow}px)`);
  await shot('overview-phone');
  await world.page.setViewportSize({ width: 1280, height: 900 });
});

test('the calculator shows exactly the API quote as you type', { timeout: TEST_TIMEOUT_MS }, async () => {
  const pricing = await pricingRoutes();
  assert.ok(pricing.card && pricing.quotes, 'the rate card and quotes are served');
  const chat = pricing.items.find((item) => item.action === 'chat');
  assert.ok(chat, 'the rate card has a chat model');
  await signInAndWait(world.acmeKey, '/');
  await world.page.getByTestId('nav-calculator').click();
  await world.page.waitForURL((url) => url.pathname === '/calculator');
  await world.page.getByTestId('calc-action').selectOption('chat');
  await world.page.getByTestId('calc-model').selectOption(chat.model);
  await world.page.getByTestId('calc-input-tokens').fill('');
  await world.page.getByTestId('calc-input-tokens').pressSequentially('12000');
  await world.page.getByTestId('calc-output-tokens').fill('3500');

  const quote = async (usage) => ok('POST', '/v1/quotes', {
    key: world.acmeKey,
    body: { usage: { action: 'chat', model: chat.model, ...usage }, account_id: 'acme' },
  });
  const exact = await quote({ input_tokens: 12000, output_tokens: 3500 });
  assert.equal(String(exact.cost.min), String(exact.cost.max));
  await eventually(async () => assert.equal(await text('calc-cost'), formatCredits(exact.cost.max)));
  assert.equal(await text('calc-affordable'), exact.account.affordable ? 'Affordable' : 'Not affordable');
  assert.equal(await text('calc-available-after'), formatCredits(exact.account.available_after));

  // An upper bound instead of the exact output: a range, min – max.
  await world.page.getByTestId('calc-output-tokens').fill('');
  await world.page.getByTestId('calc-max-output-tokens').fill('4096');
  const range = await quote({ input_tokens: 12000, max_output_tokens: 4096 });
  const expected = String(range.cost.min) === String(range.cost.max)
    ? formatCredits(range.cost.max)
    : `${formatCredits(range.cost.min)} – ${formatCredits(range.cost.max)}`;
  await eventually(async () => assert.equal(await text('calc-cost'), expected));
  await shot('calculator');

  // Another action: the fields follow the model, and the quote follows the fields.
  const video = pricing.items.find((item) => item.action === 'video');
  if (video) {
    await world.page.getByTestId('calc-action').selectOption('video');
    await world.page.getByTestId('calc-model').selectOption(video.model);
    assert.equal(await world.page.getByTestId('calc-input-tokens').isVisible(), false);
    await world.page.getByTestId('calc-seconds').fill('8');
    await world.page.getByTestId('calc-width').fill('1280');
    await world.page.getByTestId('calc-height').fill('720');
    const clip = await ok('POST', '/v1/quotes', {
      key: world.acmeKey,
      body: { usage: { action: 'video', model: video.model, seconds: 8, width: 1280, height: 720 }, account_id: 'acme' },
    });
    await eventually(async () => assert.equal(await text('calc-cost'), formatCredits(clip.cost.max)));
  }
});

/** An instant's date as the dashboard writes it ("1 Jan 2027"), in an IANA time zone. */
function dateIn(instant, timeZone) {
  const parts = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone })
    .formatToParts(new Date(instant));
  const part = (type) => parts.find((one) => one.type === type).value;
  return `${part('day')} ${part('month')} ${part('year')}`;
}

/** The calculator's cost as the page writes a quote's cost: "3" or "1 – 44". */
function costText(cost) {
  return String(cost.min) === String(cost.max)
    ? formatCredits(cost.max)
    : `${formatCredits(cost.min)} – ${formatCredits(cost.max)}`;
}

test('the calculator lists the cheaper models the API lists, each at its own price', { timeout: TEST_TIMEOUT_MS }, async () => {
  await signInAndWait(world.acmeKey, '/');
  await goto('/calculator');
  const usage = { action: 'chat', model: 'gpt-4o', input_tokens: 12000, output_tokens: 3500 };
  await world.page.getByTestId('calc-action').selectOption('chat');
  await world.page.getByTestId('calc-model').selectOption(usage.model);
  await world.page.getByTestId('calc-input-tokens').fill(String(usage.input_tokens));
  await world.page.getByTestId('calc-max-output-tokens').fill('');
  await world.page.getByTestId('calc-output-tokens').fill(String(usage.output_tokens));

  const quote = await ok('POST', '/v1/quotes', {
    key: world.acmeKey,
    body: { usage, account_id: 'acme', alternatives: true },
  });
  assert.ok(quote.alternatives.length > 0, `gpt-4o has cheaper models on the default card: ${JSON.stringify(quote)}`);
  await eventually(async () => assert.equal(await text('calc-cost'), formatCredits(quote.cost.max)));
  const rows = world.page.getByTestId('calc-alternative');
  await eventually(async () => assert.equal(await rows.count(), quote.alternatives.length));
  for (const [index, alternative] of quote.alternatives.entries()) {
    const row = rows.nth(index);
    assert.equal(await row.getAttribute('data-model'), alternative.model, `row ${index}: cheapest first, as the API`);
    const cells = await row.locator('th, td').allTextContents();
    assert.equal(cells[0].trim(), alternative.model);
    assert.equal(cells[1].trim(), costText(alternative.cost));
    assert.equal(cells[2].trim(), alternative.affordable ? 'Affordable' : 'Not affordable');
    // Each alternative is its own quote, and cheaper than the model asked for.
    const own = await ok('POST', '/v1/quotes', {
      key: world.acmeKey,
      body: { usage: { ...usage, model: alternative.model }, account_id: 'acme' },
    });
    assert.equal(String(own.cost.max), String(alternative.cost.max), alternative.model);
    assert.ok(Number(own.cost.max) < Number(quote.cost.max), `${alternative.model} is cheaper`);
  }
  await shot('calculator-alternatives');
  await assertAccessible('the calculator with alternatives');
});

test('not enough now: the calculator says when the next plan grant arrives and its size', { timeout: TEST_TIMEOUT_MS }, async () => {
  const zone = 'America/New_York';
  await ok('POST', '/v1/accounts', { body: { id: 'initech', name: 'Initech' } });
  await ok('PATCH', '/v1/accounts/initech', { body: { time_zone: zone } });
  await ok('PUT', '/v1/accounts/initech/subscription', { body: { plan: 'starter', seats: 1 } });
  const key = (await ok('POST', '/v1/accounts/initech/keys')).key;
  // Spend the period's grant down to half a credit.
  const start = await ok('GET', '/v1/accounts/initech/balance', { key });
  const spend = (Math.round(Number(start.available) * 1000) - 500) / 1000;
  await ok('POST', '/v1/accounts/initech/charges', { key, body: { amount: spend, description: 'spent down' } });
  const balance = await ok('GET', '/v1/accounts/initech/balance', { key });
  assert.equal(String(balance.available), '0.5');

  const usage = { action: 'chat', model: 'gpt-4o', input_tokens: 12000, output_tokens: 3500 };
  const quote = await ok('POST', '/v1/quotes', { key, body: { usage, account_id: 'initech' } });
  const reset = quote.account.next_reset;
  assert.equal(quote.account.affordable, false, JSON.stringify(quote));
  assert.ok(reset && Number(reset.credits) >= Number(quote.cost.max), `the next grant covers it: ${JSON.stringify(quote)}`);

  await signInAndWait(key, '/');
  await goto('/calculator');
  await world.page.getByTestId('calc-action').selectOption('chat');
  await world.page.getByTestId('calc-model').selectOption(usage.model);
  await world.page.getByTestId('calc-input-tokens').fill(String(usage.input_tokens));
  await world.page.getByTestId('calc-max-output-tokens').fill('');
  await world.page.getByTestId('calc-output-tokens').fill(String(usage.output_tokens));
  await eventually(async () => assert.equal(await text('calc-affordable'), 'Not affordable'));
  assert.equal(
    await text('calc-next-reset'),
    `Not enough now; ${formatCredits(reset.credits)} credits arrive on ${dateIn(reset.at, zone)}.`,
  );
  await shot('calculator-next-reset');
  await assertAccessible('the calculator, not enough now');

  // Once credits arrive (an admin's grant) the same usage is affordable: no such message.
  await ok('POST', '/v1/accounts/initech/grants', { body: { amount: 1000, description: 'goodwill' } });
  await world.page.getByTestId('calc-output-tokens').fill(String(usage.output_tokens - 1));
  await eventually(async () => assert.equal(await text('calc-affordable'), 'Affordable'));
  assert.equal(await world.page.getByTestId('calc-next-reset').count(), 0);
});

test('the plan page shows the advice the API gives, month by month', { timeout: TEST_TIMEOUT_MS }, async () => {
  const advice = await ok('GET', '/v1/accounts/acme/advice', { key: world.acmeKey });
  assert.ok(advice.best, `acme's spending has a cheapest choice: ${JSON.stringify(advice)}`);
  await signInAndWait(world.acmeKey, '/');
  await goto('/packs');
  const usd = (value) => {
    const [whole, fraction = ''] = String(value).split('.');
    return `$${whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${fraction.padEnd(2, '0')}`;
  };
  assert.equal(await text('advice-cost'), usd(advice.best.cost_usd));
  const choice = await text('advice-choice');
  assert.ok(choice.startsWith(advice.best.plan_name || advice.best.plan || 'packs alone'), choice);
  if (advice.best.seats) {
    assert.ok(choice.includes(`${advice.best.seats} seat`), choice);
  }
  const months = advice.months.length;
  assert.match(await text('advice-headline'), months === 1 ? /^This month so far/ : new RegExp(`^Your last ${months} months`));
  const cells = await world.page.getByTestId('advice-months').locator('tbody tr td').allTextContents();
  assert.deepEqual(cells.map((cell) => cell.trim()), advice.months.map((month) => formatCredits(month.credits)));
  await shot('plan-advice');
  await assertAccessible('plan and packs, with advice');
});

test('buy a pack: pending until paid, then the overview shows its credits', { timeout: TEST_TIMEOUT_MS }, async () => {
  await signInAndWait(world.acmeKey, '/');
  const packs = await ok('GET', '/v1/packs', { key: world.acmeKey });
  const pack = packs.find((p) => p.id === 'pack_10k') || packs[0];
  const before = await ok('GET', '/v1/accounts/acme/balance', { key: world.acmeKey });
  const purchasesBefore = await listAll('/v1/accounts/acme/purchases', world.acmeKey);
  await world.page.getByTestId('nav-packs').click();
  await world.page.waitForURL((url) => url.pathname === '/packs');
  await shot('plan-and-packs');
  await world.page.getByTestId(`buy-pack-${pack.id}`).click();
  await world.page.waitForURL((url) => url.pathname === '/packs/confirm');
  assert.equal(await text('confirm-credits'), formatCredits(pack.credits));
  assert.match(await text('confirm-price'), new RegExp(`^\\$${String(pack.price_usd).replace('.', '\\.')}`));
  await shot('confirm-purchase');

  // The same form sent twice (a double submit) buys once: the form's idempotency token.
  const firstStatus = await world.page.evaluate(async () => {
    const form = document.querySelector('form[action="/packs/buy"]');
    const response = await fetch('/packs/buy', { method: 'POST', body: new URLSearchParams(new FormData(form)), redirect: 'manual' });
    return response.type;
  });
  assert.equal(firstStatus, 'opaqueredirect');
  await world.page.getByTestId('confirm-purchase').click();
  await world.page.waitForURL((url) => url.pathname === '/packs');
  const purchasesAfter = await listAll('/v1/accounts/acme/purchases', world.acmeKey);
  assert.equal(purchasesAfter.length, purchasesBefore.length + 1, 'one purchase for two submits');
  const purchase = purchasesAfter.find((p) => !purchasesBefore.some((b) => b.id === p.id));
  assert.equal(purchase.status, 'pending');
  // No credits before the payment.
  const pending = await ok('GET', '/v1/accounts/acme/balance', { key: world.acmeKey });
  assert.equal(pending.available, before.available);
  assert.match(await text('notice'), /awaiting payment/);
  assert.equal(await world.page.getByTestId('pending-purchase').count(), 1);
  await shot('purchase-pending');

  // The platform's backend records the payment with the admin key: the credits arrive.
  const completed = await ok('POST', `/v1/purchases/${purchase.id}/complete`, { body: { payment_reference: 'cs_browser_1' } });
  assert.equal(completed.status, 'completed');
  await world.page.goto(`${world.base}/`);
  const after = await ok('GET', '/v1/accounts/acme/balance', { key: world.acmeKey });
  const credits = (value) => Math.round(value * 1000);
  assert.equal(credits(after.available) - credits(before.available), credits(pack.credits));
  assert.equal(await text('available'), formatCredits(after.available));
});

test('a charge made through the API shows in the ledger and the usage chart', { timeout: TEST_TIMEOUT_MS }, async () => {
  const charge = await ok('POST', '/v1/accounts/acme/charges', {
    key: world.acmeKey,
    body: { amount: 1234.567, product: 'e2e-lab', member: 'margaret', description: 'browser test charge' },
  });
  const [newest] = (await ok('GET', '/v1/accounts/acme/entries?limit=1', { key: world.acmeKey })).data;
  assert.equal(newest.charge_id, charge.id);
  await signInAndWait(world.acmeKey, '/');
  await world.page.getByTestId('nav-ledger').click();
  await world.page.waitForURL((url) => url.pathname === '/ledger');
  const first = world.page.getByTestId('ledger-row').first();
  assert.equal(await first.getAttribute('data-entry-id'), newest.id);
  const row = await first.textContent();
  assert.ok(row.includes('-1,234.567'), row);
  assert.ok(row.includes('e2e-lab'), row);
  assert.ok(row.includes('charge'), row);
  await shot('ledger');

  await world.page.getByTestId('nav-usage').click();
  await world.page.waitForURL((url) => url.pathname === '/usage');
  const chart = world.page.getByTestId('usage-chart');
  const markup = await chart.evaluate((svg) => svg.outerHTML);
  for (const product of ['e2e-lab', 'assistant', 'knowledge', 'studio']) {
    assert.ok(markup.includes(product), `the chart names ${product}`);
  }
  assert.ok(markup.includes('1,234.567'), 'the charge is in a bar title');
  const usage = await ok('GET', '/v1/accounts/acme/usage?group_by=member', { key: world.acmeKey });
  const margaret = usage.data.find((group) => group.member === 'margaret');
  const byMember = await world.page.getByTestId('usage-by-member').textContent();
  assert.ok(byMember.includes('margaret') && byMember.includes(formatCredits(margaret.credits)), byMember);
  await shot('usage');
});

test('the CSV export equals the entries API', { timeout: TEST_TIMEOUT_MS }, async () => {
  await signInAndWait(world.acmeKey, '/');
  await goto('/ledger');
  const all = await downloadCsv();
  assert.ok(all.header.includes('amount'), all.header.join(','));
  assert.equal(all.header[0], 'id');
  const entries = await listAll('/v1/accounts/acme/entries', world.acmeKey);
  assert.equal(all.records.length, entries.length);
  entries.forEach((entry, index) => {
    const record = all.records[index];
    assert.equal(record.id, entry.id);
    assert.equal(record.type, entry.type);
    assert.equal(record.amount, String(entry.amount), `amount of ${entry.id}`);
    assert.equal(record.held, String(entry.held), `held of ${entry.id}`);
    assert.equal(record.created_at, entry.created_at);
  });

  // The filtered range: charges of one product.
  await world.page.getByTestId('ledger-type').selectOption('charge');
  await world.page.getByTestId('ledger-product').fill('studio');
  await Promise.all([
    world.page.waitForURL((url) => url.searchParams.get('type') === 'charge'),
    world.page.getByTestId('ledger-product').press('Enter'),
  ]);
  const rows = await world.page.getByTestId('ledger-row').count();
  const filtered = await downloadCsv();
  const expected = await listAll('/v1/accounts/acme/entries?type=charge&product=studio', world.acmeKey);
  assert.ok(expected.length > 0);
  assert.equal(rows, Math.min(expected.length, 50));
  assert.deepEqual(filtered.records.map((r) => [r.id, r.amount, r.product]), expected.map((e) => [e.id, String(e.amount), e.product]));
});

test('an account key never sees another account', { timeout: TEST_TIMEOUT_MS }, async () => {
  await signInAndWait(world.acmeKey, '/');
  for (const path of [
    '/?account=globex', '/usage?account=globex', '/ledger?account=globex', '/packs?account=globex',
    '/calculator?account=globex', '/ledger.csv?account=globex', '/packs/confirm?pack=pack_10k&account=globex',
    '/events?account=globex', '/admin', '/admin/rate-card', '/admin/webhooks',
  ]) {
    const response = await world.page.request.get(world.base + path, { maxRedirects: 0 });
    const body = await response.text();
    assert.equal(response.status(), 404, `${path} answers 404`);
    assert.ok(!/globex|777\.25/i.test(body), `${path} shows nothing of globex`);
  }
  await goto('/?account=globex');
  assert.equal(await world.page.getByTestId('available').count(), 0);

  // The JSON API with the session cookie: the same rules as the account's key.
  const request = world.page.request;
  assert.equal((await request.get(`${world.base}/v1/accounts/acme/balance`)).status(), 200);
  assert.equal((await request.get(`${world.base}/v1/accounts/globex/balance`)).status(), 404);
  assert.equal((await request.get(`${world.base}/v1/accounts`)).status(), 403);
  // A cookie alone cannot change anything: without the session's CSRF token it is no key.
  const forged = await request.post(`${world.base}/v1/accounts/acme/charges`, { data: { amount: 1 } });
  assert.equal(forged.status(), 401);

  // A form naming another account is refused and changes nothing.
  const before = await ok('GET', '/v1/accounts/globex/balance');
  await goto('/');
  const csrf = await world.page.locator('meta[name="csrf-token"]').getAttribute('content');
  const buy = await request.post(`${world.base}/packs/buy`, {
    form: { csrf, idempotency: 'crossaccount1', pack: 'pack_10k', account: 'globex' },
    maxRedirects: 0,
  });
  assert.equal(buy.status(), 404);
  const afterBalance = await ok('GET', '/v1/accounts/globex/balance');
  assert.equal(afterBalance.available, before.available);
  // And a form without the CSRF token is refused.
  const noToken = await request.post(`${world.base}/packs/buy`, { form: { idempotency: 'x2', pack: 'pack_10k' }, maxRedirects: 0 });
  assert.equal(noToken.status(), 403);
});

test('an admin key shows the accounts, the rate card, and grants credits', { timeout: TEST_TIMEOUT_MS }, async () => {
  // An account with an auto top-up, shown in its row (and removed again at the end).
  await ok('POST', '/v1/accounts', { body: { id: 'hooli', name: 'Hooli' } });
  await ok('PUT', '/v1/accounts/hooli/auto-topup', { body: { pack: 'pack_10k', threshold: 100 } });
  await signInAndWait(ADMIN_KEY, '/admin');
  const hooliRow = world.page.getByTestId('admin-account-row').filter({ hasText: 'Hooli' });
  assert.equal((await hooliRow.getByTestId('admin-account-topup').textContent()).trim(), 'pack_10k below 100 · active');
  const acmeTopup = world.page.getByTestId('admin-account-row').filter({ hasText: 'Acme Inc.' }).getByTestId('admin-account-topup');
  assert.equal((await acmeTopup.textContent()).trim(), '—');
  const ids = await world.page.getByTestId('admin-account-row').allTextContents();
  assert.ok(ids.some((row) => row.includes('acme')) && ids.some((row) => row.includes('globex')), ids.join('|'));
  const acme = await ok('GET', '/v1/accounts/acme/balance');
  const acmeRow = world.page.getByTestId('admin-account-row').filter({ hasText: 'Acme Inc.' });
  assert.ok((await acmeRow.textContent()).includes(formatCredits(acme.available)));
  await shot('admin-accounts');
  await world.page.getByTestId('account-search').fill('glob');
  await eventually(async () => assert.equal(await world.page.locator('[data-testid="admin-account-row"]:visible').count(), 1));
  await ok('DELETE', '/v1/accounts/hooli/auto-topup');

  const before = await ok('GET', '/v1/accounts/globex/balance');
  await world.page.getByTestId('grant-account').fill('globex');
  await world.page.getByTestId('grant-amount').fill('250.5');
  await world.page.getByTestId('grant-submit').click();
  await world.page.getByTestId('notice').waitFor();
  assert.match(await text('notice'), /Granted 250\.5 credits to globex/);
  const after = await ok('GET', '/v1/accounts/globex/balance');
  assert.equal(Math.round(after.available * 1000) - Math.round(before.available * 1000), 250500);

  // An admin opens an account's dashboard from the list.
  await world.page.getByRole('link', { name: 'acme', exact: true }).click();
  await world.page.waitForURL((url) => url.searchParams.get('account') === 'acme');
  assert.equal(await text('available'), formatCredits((await ok('GET', '/v1/accounts/acme/balance')).available));
  assert.equal(await world.page.getByTestId('nav-admin').count(), 1);

  await goto('/admin/rate-card');
  const pricing = await pricingRoutes();
  if (pricing.card) {
    assert.equal(await world.page.getByTestId('rate-card-row').count(), pricing.items.length);
    await world.page.getByTestId('rate-card-search').fill('video');
    const videos = pricing.items.filter((item) => `${item.action} ${item.model}`.includes('video')).length;
    await eventually(async () => assert.equal(await world.page.locator('[data-testid="rate-card-row"]:visible').count(), videos));
    await world.page.getByTestId('rate-card-search').fill('');
  }
  await shot('admin-rate-card');
});

test('sign out ends the session, and a revoked key ends its sessions', { timeout: TEST_TIMEOUT_MS }, async () => {
  await signInAndWait(world.acmeKey, '/');
  const cookie = (await world.context.cookies()).find((c) => c.name === 'tally_session');
  await world.page.getByTestId('sign-out').click();
  await world.page.waitForURL((url) => url.pathname === '/sign-in');
  await goto('/');
  assert.equal(new URL(world.page.url()).pathname, '/sign-in');
  const replay = await fetch(`${world.base}/`, { headers: { cookie: `tally_session=${cookie.value}` }, redirect: 'manual' });
  assert.equal(replay.status, 303, 'the old session cookie is dead');

  const key = await ok('POST', '/v1/accounts/acme/keys');
  await signInAndWait(key.key, '/');
  await ok('DELETE', `/v1/keys/${key.id}`);
  await world.page.reload();
  assert.equal(new URL(world.page.url()).pathname, '/sign-in');
});

test('a portal link from the platform signs its account in, once', { timeout: TEST_TIMEOUT_MS }, async () => {
  // The platform's backend mints a link for its signed-in user and sends the user to it from
  // its own site (another site: the browser treats the navigation as cross-site).
  const returnUrl = 'https://platform.test/billing';
  const link = await ok('POST', '/v1/accounts/acme/portal-sessions', { key: world.acmeKey, body: { return_url: returnUrl } });
  assert.ok(link.url.startsWith(`${world.base}/portal/`), link.url);
  await world.context.clearCookies();
  await world.context.route('https://platform.test/**', (route) => route.fulfill({
    status: 200,
    contentType: 'text/html',
    body: `<!doctype html><html lang="en"><title>Platform</title><a id="billing" href="${link.url}">Billing</a></html>`,
  }));
  await world.page.goto('https://platform.test/app');
  await world.page.click('#billing');
  await world.page.waitForURL((url) => url.origin === world.base && url.pathname === '/');

  const balance = await ok('GET', '/v1/accounts/acme/balance', { key: world.acmeKey });
  assert.equal(await text('available'), formatCredits(balance.available));
  assert.equal(await text('held'), formatCredits(balance.held));
  assert.equal(await world.page.getByTestId('nav-ledger').count(), 1);
  assert.equal(await world.page.getByTestId('nav-admin').count(), 0);
  assert.equal(await world.page.getByTestId('return-link').getAttribute('href'), returnUrl);
  const cookie = (await world.context.cookies()).find((c) => c.name === 'tally_session');
  assert.ok(cookie, 'a session cookie');
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.sameSite, 'Lax');
  await shot('portal-overview');

  // Another account's page is not found for this session either.
  const other = await goto('/ledger?account=globex');
  assert.equal(other.status(), 404);
  assert.ok(!/777\.25/.test(await world.page.content()));

  // The same link again: the sign-in page says it was used, and no session starts.
  await world.context.clearCookies();
  const again = await world.page.goto(link.url);
  assert.equal(again.status(), 410);
  assert.match(await text('sign-in-error'), /used already/);
  assert.equal(await world.page.getByTestId('key-input').getAttribute('aria-invalid'), null);
  assert.equal((await world.context.cookies()).find((c) => c.name === 'tally_session'), undefined);
  await shot('portal-used');
  await world.context.unroute('https://platform.test/**');
});

/**
 * The checks of WCAG 2 AA the dashboard's markup can be held to without a human: the page has
 * a language, one h1, a main landmark; every table has a caption and scoped headers; every
 * form control a label; every link and button a name; no positive tabindex.
 */
async function assertAccessibleMarkup(page) {
  const problems = await page.evaluate(() => {
    const found = [];
    if (!document.documentElement.lang) found.push('no lang on <html>');
    if (document.querySelectorAll('h1').length !== 1) found.push('not exactly one h1');
    if (!document.querySelector('main')) found.push('no <main>');
    for (const table of document.querySelectorAll('table')) {
      if (!table.querySelector('caption')?.textContent.trim()) found.push(`a table without a caption: ${table.id}`);
      for (const th of table.querySelectorAll('th')) {
        if (!th.getAttribute('scope')) found.push(`a th without scope: ${th.textContent}`);
      }
    }
    for (const control of document.querySelectorAll('input:not([type=hidden]), select, textarea')) {
      const labelled = (control.id && document.querySelector(`label[for="${control.id}"]`))
        || control.getAttribute('aria-label') || control.getAttribute('aria-labelledby');
      if (!labelled) found.push(`an unlabelled control: ${control.name}`);
    }
    for (const element of document.querySelectorAll('a, button')) {
      if (!(element.textContent.trim() || element.getAttribute('aria-label'))) found.push('a link or button without a name');
    }
    for (const element of document.querySelectorAll('[tabindex]')) {
      if (Number(element.getAttribute('tabindex')) > 0) found.push('a positive tabindex');
    }
    return found;
  });
  assert.deepEqual(problems, [], problems.join('; '));
}

test('the events page shows the account\u2019s events as the API lists them; the admin sees endpoints and failing deliveries', { timeout: TEST_TIMEOUT_MS }, async () => {
  // An endpoint nobody listens at: its deliveries fail (connection refused) and are retried.
  const endpoint = await ok('POST', '/v1/webhook-endpoints', {
    body: { url: 'http://127.0.0.1:9/tally-hooks', events: ['grant.created'], description: 'nobody listens' },
  });
  assert.match(endpoint.secret, /^whsec_/);
  await ok('POST', '/v1/accounts/acme/grants', { body: { amount: 42, description: 'for the events page' } });

  await signInAndWait(world.acmeKey, '/');
  await world.page.getByTestId('nav-events').click();
  await world.page.waitForURL((url) => url.pathname === '/events');
  const events = (await ok('GET', '/v1/events?account_id=acme&limit=50', { key: world.acmeKey })).data;
  assert.ok(events.length >= 3, `acme has ${events.length} events`);
  const rows = world.page.getByTestId('event-row');
  assert.equal(await rows.count(), events.length);
  const shownIds = await rows.evaluateAll((all) => all.map((row) => row.dataset.eventId));
  assert.deepEqual(shownIds, events.map((event) => event.id));
  assert.equal(events[0].type, 'grant.created');
  assert.ok((await rows.first().textContent()).includes('grant.created'));
  const page = await world.page.content();
  assert.ok(!/globex/i.test(page), 'the events page shows nothing of globex');
  await assertAccessibleMarkup(world.page);
  await shot('events');

  await signInAndWait(ADMIN_KEY, '/admin');
  await world.page.getByTestId('admin-webhooks-link').click();
  await world.page.waitForURL((url) => url.pathname === '/admin/webhooks');
  const endpointRow = world.page.getByTestId('webhook-endpoint-row').filter({ hasText: endpoint.id });
  assert.ok((await endpointRow.textContent()).includes('http://127.0.0.1:9/tally-hooks'));
  assert.ok(!(await world.page.content()).includes(endpoint.secret), 'the secret is never shown again');
  // The worker's first attempt fails at once; the page lists the delivery as retrying.
  await eventually(async () => {
    await world.page.reload();
    const failing = world.page.getByTestId('failing-delivery-row').filter({ hasText: 'tally-hooks' });
    assert.equal(await failing.count(), 1);
    assert.match(await failing.textContent(), /retrying/);
  });
  await assertAccessibleMarkup(world.page);
  await shot('admin-webhooks');
  await ok('DELETE', `/v1/webhook-endpoints/${endpoint.id}`);
});

test('keys never appear in a URL or in the server log', { timeout: TEST_TIMEOUT_MS }, async () => {
  assert.ok(world.requestedUrls.length > 10);
  const keys = [ADMIN_KEY, world.acmeKey, world.globexKey];
  for (const url of world.requestedUrls) {
    for (const key of keys) assert.ok(!url.includes(key), `a key in ${url}`);
  }
  for (const key of keys) assert.ok(!world.server.output.includes(key), 'a key in the server log');
});

test('every page meets WCAG 2 AA (axe-core), for an account and for the admin', { timeout: TEST_TIMEOUT_MS }, async () => {
  await world.context.clearCookies();
  await goto('/sign-in');
  await assertAccessible('sign in');
  await signInAndWait(world.acmeKey, '/');
  for (const path of ['/', '/calculator', '/usage', '/ledger', '/packs', '/events']) {
    await goto(path);
    await assertAccessible(`account page ${path}`);
  }
  await signInAndWait(ADMIN_KEY, '/admin');
  for (const path of ['/admin', '/admin/rate-card', '/admin/webhooks', '/?account=acme', '/ledger?account=acme']) {
    await goto(path);
    await assertAccessible(`admin page ${path}`);
  }
});
