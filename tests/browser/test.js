#!/usr/bin/env node
/*
 * The Katapult client area in a real browser (Debian's headless Chromium driven by playwright-core),
 * on the WHMCS stand-in's web front, against the Katapult simulator. Started by run.sh, which
 * provides the environment below; run that, not this file.
 *
 * The module contract it checks (see tests/browser/README.md): root `.katapult[data-katapult-service]`;
 * the root is `.katapult.katapult-building` while the VM builds, turning into `.katapult.katapult-overview` without a reload;
 * `.katapult-vm-state[data-state]` with a visible label that refreshes by itself; power actions
 * are POST forms `.katapult-action` with `katapult_token` and `token`, buttons
 * `[data-katapult-action=StartVm|StopVm|ShutdownVm|ResetVm]`, destructive ones behind
 * window.confirm(); a replayed action does nothing and says "expired"; the console is a POST form
 * with target=_blank to `&dosinglesignon=1`, button `[data-katapult-action=console]`; the label of
 * `stopped` is "Stopped" in English and "Gestoppt" in German; the Manage section `.katapult-manage`
 * has one `.katapult-rdns-form` per address (input `.katapult-rdns-name`, button
 * `[data-katapult-action=SetReverseDns]`) and a `.katapult-rename-form` (inputs `katapult_name`,
 * `katapult_hostname`, button `[data-katapult-action=RenameVm]`); the backups section
 * `.katapult-backups` shows `.katapult-backups-retention` and `.katapult-backups-time`, and its POST
 * form (`select[name=katapult_backup_hour]`, button `[data-katapult-action=BackupTime]`) moves the
 * backup's hour. On the admin service page, Terminate leaves the VM in Katapult's trash, which the
 * module's "Katapult trash" field says with its time, and the "Restore VM" button brings it back.
 *
 * Steps run in order and stop at the first failure (later steps depend on earlier ones); the
 * counts go to $BROWSER_RESULT as "passed failed" for run.sh's summary line.
 */
'use strict';

const fs = require('fs');
const https = require('https');
const path = require('path');
const { chromium } = require('playwright-core');

function env(name, fallback) {
  const value = process.env[name] ?? fallback;
  if (value === undefined || value === '') {
    throw new Error(`${name} is not set: run tests/browser/run.sh`);
  }
  return value;
}

const BASE = env('BROWSER_BASE_URL').replace(/\/$/, '');
const SERVICE = env('BROWSER_SERVICE_ID');
const EMAIL = env('BROWSER_CLIENT_EMAIL');
const PASSWORD = env('BROWSER_CLIENT_PASSWORD');
const SIM_ROOT = env('KATAPULT_SIM_ROOT').replace(/\/$/, '');
const SIM_CA = env('KATAPULT_SIM_CA');
const OUT = env('BROWSER_OUT');
const RESULT = env('BROWSER_RESULT', path.join(OUT, 'result.txt'));
const CHROMIUM = env('CHROMIUM', '/usr/bin/chromium');
// Long enough for --build-speed realtime (build ~30 s, boot ~5 s, power tasks ~6 s).
const BUILD_TIMEOUT = Number(process.env.BROWSER_BUILD_TIMEOUT_MS || 180000);
const STATE_TIMEOUT = Number(process.env.BROWSER_STATE_TIMEOUT_MS || 120000);

const productUrl = `${BASE}/clientarea.php?action=productdetails&id=${SERVICE}`;
// What setup.php made for the admin steps: the product, the client, an admin's login.
const SETUP = JSON.parse(env('BROWSER_SETUP'));
const ADMIN = `${BASE}/admin`;
const STOP_ROUTE = 'POST /virtual_machines/:virtual_machine/stop';
const RDNS_ROUTE = 'PATCH /ip_addresses/:ip_address';
const started = Date.now();
let passed = 0;
let failed = 0;
const screenshots = [];
const pageErrors = [];

function log(message) {
  const seconds = ((Date.now() - started) / 1000).toFixed(1).padStart(6);
  console.log(`[${seconds}s] ${message}`);
}

function expect(condition, message) {
  if (!condition) {
    throw new Error(message);
  }
}

class StepFailed extends Error {}

async function step(name, fn) {
  log(`> ${name}`);
  try {
    await fn();
  } catch (error) {
    failed++;
    log(`FAIL ${name}: ${error.message.split('\n')[0]}`);
    throw new StepFailed(error.message);
  }
  passed++;
  log(`ok   ${name}`);
}

// An address no build hands out: what the drift step moves the VM to behind WHMCS's back.
const DRIFTED_IPV4 = '185.44.255.250';

/** A call to the simulator's own controls (/_sim/...), as the tests change Katapult behind WHMCS. */
function simControl(method, pathname, body) {
  return new Promise((resolve, reject) => {
    const request = https.request(
      `${SIM_ROOT}${pathname}`,
      { method, ca: fs.readFileSync(SIM_CA), headers: { 'content-type': 'application/json' } },
      (res) => {
        let answer = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (answer += chunk));
        res.on('end', () => (res.statusCode < 300 ? resolve(answer) : reject(new Error(`${method} ${pathname}: HTTP ${res.statusCode} ${answer.slice(0, 200)}`))));
      },
    );
    request.on('error', reject);
    request.end(JSON.stringify(body));
  });
}

function simStats() {
  return new Promise((resolve, reject) => {
    https
      .get(`${SIM_ROOT}/_sim/stats`, { ca: fs.readFileSync(SIM_CA) }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => {
          try {
            resolve(JSON.parse(body));
          } catch (error) {
            reject(new Error(`simulator stats are not JSON: ${body.slice(0, 200)}`));
          }
        });
      })
      .on('error', reject);
  });
}

async function screenshot(page, name) {
  const file = path.join(OUT, name);
  await page.screenshot({ path: file, fullPage: true });
  screenshots.push(file);
  log(`     screenshot ${file}`);
}

/** A value on window that only survives while the document is not reloaded. */
async function setMarker(page) {
  const marker = `katapult-${Date.now()}-${Math.random().toString(36).slice(2)}`;
  await page.evaluate((m) => {
    window.__katapultBrowserTestMarker = m;
  }, marker);
  return marker;
}

async function expectMarker(page, marker, what) {
  const now = await page.evaluate(() => window.__katapultBrowserTestMarker);
  expect(now === marker, `the page was reloaded while ${what} (window marker lost)`);
}

async function stateLabel(page) {
  return (await page.locator('.katapult-vm-state').first().innerText()).trim();
}

/**
 * The admin area (the stand-in's admin web front, in its own browser context): login, an addon
 * module activated and its page, the dashboard with the widget its hook returns, the product's
 * Module Settings (live dropdowns, a setting saved) and Other tab (the key pane saved), the
 * client's service page (the module's fields, a module button pressed), and a termination undone
 * from Katapult's trash ("Restore VM", then the client's `page` at `productUrl` shows the VM).
 */
async function adminSteps(browser, page, productUrl) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const admin = await context.newPage();
  admin.setDefaultTimeout(15000);
  admin.on('pageerror', (error) => {
    pageErrors.push(`${admin.url()}: ${error.message}`);
    log(`     page error: ${error.message}`);
  });
  const text = async (selector) => (await admin.locator(selector).first().innerText()).trim();
  try {
    await adminPages(admin, text, page, productUrl);
  } catch (error) {
    await screenshot(admin, 'failure-admin.png').catch(() => {});
    fs.writeFileSync(path.join(OUT, 'failure-admin.html'), await admin.content().catch(() => ''));
    throw error;
  } finally {
    await context.close();
  }
}

async function adminPages(admin, text, page, productUrl) {

  await step('the admin area asks for a login, refuses a wrong password, and opens the dashboard', async () => {
    await admin.goto(`${ADMIN}/index.php`);
    await admin.waitForURL(/\/admin\/login\.php/);
    await admin.fill('#inputUsername', SETUP.adminUsername);
    await admin.fill('#inputPassword', `${SETUP.adminPassword}-wrong`);
    await admin.click('#login');
    await admin.locator('#alertLoginFailed').waitFor();
    await admin.fill('#inputPassword', SETUP.adminPassword);
    await Promise.all([admin.waitForURL(/\/admin\/index\.php/), admin.click('#login')]);
    await admin.locator('body#dashboard').waitFor({ state: 'attached' });
    await admin.locator('#adminLogout').waitFor();
  });

  await step('an addon module is activated, and its page shows what WHMCS hands it', async () => {
    await admin.goto(`${ADMIN}/configaddonmods.php`);
    await admin.locator('tr[data-addon="probe"] button[value="activate"]').click();
    await admin.locator('#addonActivated').waitFor();
    expect((await text('#addonActivated')).includes('The probe is ready.'), 'the activation\'s description is not shown');
    await admin.locator('tr[data-addon="probe"] a', { hasText: 'Open' }).click();
    await admin.locator('#probeOutput').waitFor();
    expect((await text('#pageTitle')) === 'Stand-in Probe', `the addon page's title is "${await text('#pageTitle')}"`);
    expect((await text('#probe-modulelink')) === 'addonmodules.php?module=probe', `modulelink is "${await text('#probe-modulelink')}"`);
    expect((await text('#probe-version')) === '1.2', 'the version is not passed');
    expect((await text('#probeGreeting')) === 'Hello from the probe', 'the field\'s default is not passed');
    expect((await text('#probe-lang')).includes('English'), 'the language strings (_lang) are not passed');
    await admin.locator('#probeSidebar').waitFor();
    await screenshot(admin, 'admin-addon.png');
  });

  await step('the dashboard shows the widget the AdminHomeWidgets hook returns', async () => {
    await admin.goto(`${ADMIN}/index.php`);
    const widget = admin.locator('.widget[data-widget="ProbeWidget"]');
    await widget.waitFor();
    expect((await widget.locator('.widget-title').innerText()).trim() === 'Probe Widget', 'the widget has no title');
    expect((await text('#probeWidgetCount')) === '1', `the widget counted ${await text('#probeWidgetCount')} services, not 1`);
    await screenshot(admin, 'admin-dashboard.png');
  });

  const productPage = `${ADMIN}/configproducts.php?action=edit&id=${SETUP.productId}`;
  await step('Module Settings: the dropdowns are filled from Katapult, and a setting is saved', async () => {
    await admin.goto(`${productPage}&tab=3`);
    await admin.locator('#tab3.active #moduleSettings').waitFor();
    const packages = await admin.locator('#configoption1 option').evaluateAll((os) => os.map((o) => o.value));
    expect(packages.length > 5 && packages.includes('rock-3'), `the package dropdown holds ${packages.join(', ')}`);
    expect((await admin.locator('#configoption1').inputValue()) === 'rock-3', 'rock-3 is not the selected package');
    const dataCenters = await admin.locator('#configoption2 option').evaluateAll((os) => os.map((o) => o.value));
    expect(dataCenters.includes('uk-lon-01'), `the data center dropdown holds ${dataCenters.join(', ')}`);
    const templates = await admin.locator('#configoption3 option').evaluateAll((os) => os.map((o) => o.value));
    const other = templates.find((v) => v !== '' && v !== 'templates/ubuntu-22-04');
    expect(templates.includes('templates/ubuntu-22-04') && other, `the disk template dropdown holds ${templates.join(', ')}`);
    log(`     ${packages.length} packages, ${dataCenters.length} data center and ${templates.length} disk template choices; saving ${other}`);
    await admin.selectOption('#configoption3', other);
    await Promise.all([admin.waitForURL(/success=true/), admin.click('#btnSaveProduct')]);
    await admin.locator('#alertSaved').waitFor();
    expect(/[?&]tab=3(&|$)/.test(admin.url()), `the save came back on ${admin.url()}, not the Module Settings tab`);
    expect((await admin.locator('#configoption3').inputValue()) === other, 'the saved disk template is not selected after the save');
    await screenshot(admin, 'admin-module-settings.png');
  });

  await step('Other tab: the Katapult key pane refuses a wrong key and saves the right one', async () => {
    await admin.goto(`${productPage}&tab=9`);
    const pane = admin.locator('#tab9.active #otherTabFields');
    await pane.waitFor();
    await admin.fill('#tab9 input[name="katapult_api_key"]', 'not-a-katapult-key');
    await Promise.all([admin.waitForURL(/success=true/), admin.click('#btnSaveProduct')]);
    await admin.locator('#tab9.active #otherTabFields').waitFor();
    expect((await text('#otherTabFields')).includes('Katapult refused it'), 'the pane does not say the wrong key was refused');
    await admin.fill('#tab9 input[name="katapult_api_key"]', 'sim-token');
    await Promise.all([admin.waitForURL(/success=true/), admin.click('#btnSaveProduct')]);
    const saved = await text('#otherTabFields');
    expect(saved.includes('An API key is set.') && !saved.includes('Katapult refused it'), `the pane after saving the right key: ${saved.slice(0, 200)}`);
    expect(!(await admin.content()).includes('sim-token'), 'the page shows the key');
    await screenshot(admin, 'admin-other-tab.png');
  });

  await step('the service page shows the module\'s fields, and a module button pressed shows its result', async () => {
    const servicePage = `${ADMIN}/clientsservices.php?userid=${SETUP.clientId}&id=${SERVICE}`;
    await admin.goto(servicePage);
    const fields = await admin.locator('#serviceFields .module-field th').allInnerTexts();
    expect(fields.includes('Katapult VM') && fields.includes('VM state'), `the module's fields: ${fields.join(', ')}`);
    const before = await text('.katapult-vm-state');
    log(`     VM state on the tab: ${before}`);
    await Promise.all([admin.waitForLoadState('load'), admin.locator('[data-module-command="StartVm"]').click()]);
    await admin.locator('#alertModuleSuccess').waitFor();
    await screenshot(admin, 'admin-service.png');
    const deadline = Date.now() + STATE_TIMEOUT;
    while ((await text('.katapult-vm-state')) !== 'started' && Date.now() < deadline) {
      await admin.waitForTimeout(1000);
      await admin.goto(servicePage);
    }
    expect((await text('.katapult-vm-state')) === 'started', `the VM state after Start VM is "${await text('.katapult-vm-state')}"`);
  });

  await step('the drift check finds a VM whose address changed behind WHMCS\'s back, the widget counts it, and its repair writes it in', async () => {
    const servicePage = `${ADMIN}/clientsservices.php?userid=${SETUP.clientId}&id=${SERVICE}`;
    await admin.goto(servicePage);
    const vmId = ((await text('#serviceFields .module-field')).match(/vm_\w+/) || [])[0];
    expect(vmId, 'the service tab names no VM');
    await simControl('PUT', `/_sim/virtual_machines/${vmId}`, { ipv4: DRIFTED_IPV4 });

    await admin.goto(`${ADMIN}/configaddonmods.php`);
    await admin.locator('tr[data-addon="katapult"] button[value="activate"]').click();
    await admin.locator('#addonActivated').waitFor();
    await admin.goto(`${ADMIN}/addonmodules.php?module=katapult`);
    await Promise.all([admin.waitForLoadState('load'), admin.locator('[data-katapult-check-now]').click()]);
    const finding = admin.locator(`tr[data-katapult-finding][data-katapult-kind="details_differ"]`);
    await finding.waitFor();
    expect((await finding.innerText()).includes(DRIFTED_IPV4), `the finding does not name the new address: ${await finding.innerText()}`);
    await screenshot(admin, 'admin-katapult-drift.png');

    await admin.goto(`${ADMIN}/index.php`);
    const drift = admin.locator('[data-katapult-widget] [data-katapult-drift]');
    await drift.waitFor();
    expect(/\b[1-9]\d* drift findings/.test(await drift.innerText()), `the widget says "${await drift.innerText()}"`);
    await screenshot(admin, 'admin-katapult-widget.png');

    await admin.goto(`${ADMIN}/addonmodules.php?module=katapult`);
    await Promise.all([admin.waitForLoadState('load'), finding.locator('button[data-katapult-repair="WriteDetails"]').click()]);
    await admin.locator('[data-katapult-notice]').waitFor();
    expect((await finding.count()) === 0, 'the finding is still listed after its repair');
    await screenshot(admin, 'admin-katapult-repaired.png');
    await admin.goto(servicePage);
    expect((await admin.content()).includes(DRIFTED_IPV4), 'the service page does not show the address the repair wrote in');
  });

  const servicePage = `${ADMIN}/clientsservices.php?userid=${SETUP.clientId}&id=${SERVICE}`;
  const field = (label) => admin.locator('#serviceFields .module-field', { has: admin.locator('th', { hasText: label }) });
  const status = async () => admin.locator('#inputdomainstatus').getAttribute('data-status');
  const command = async (name) => {
    await Promise.all([admin.waitForLoadState('load'), admin.locator(`[data-module-command="${name}"]`).click()]);
    await admin.locator('#alertModuleSuccess, #alertModuleError').first().waitFor();
    const error = admin.locator('#alertModuleError');
    expect((await error.count()) === 0, `${name}: ${(await error.count()) ? await error.innerText() : ''}`);
    await admin.goto(servicePage);
  };

  await step('the admin terminates the service: the Katapult trash field says the VM is in Katapult\'s trash, and until when', async () => {
    await command('TerminateAccount');
    expect((await status()) === 'Terminated', `the service is ${await status()}, not Terminated`);
    const trash = (await field('Katapult trash').innerText()).replace(/\s+/g, ' ');
    expect(/is in Katapult's trash until \d{4}-\d\d-\d\d \d\d:\d\d UTC/.test(trash), `the trash field says: ${trash}`);
    log(`     ${trash.trim()}`);
    await screenshot(admin, 'admin-trash.png');
  });

  await step('Restore VM brings the VM back and the service is Active again', async () => {
    await command('RestoreVm');
    expect((await status()) === 'Active', `the service is ${await status()}, not Active`);
    expect((await field('Katapult trash').count()) === 0, 'the service page still shows the trash');
    await field('VM state').waitFor({ state: 'visible' });
    await screenshot(admin, 'admin-restored.png');
    await page.goto(productUrl);
    await page.locator('.katapult.katapult-overview').first().waitFor({ state: 'visible' });
    const kept = (await page.locator('.katapult .katapult-backups-time').first().innerText()).trim();
    expect(kept === '03:00 UTC', `the restored VM's backup time is "${kept}"`);
  });
}

async function main() {
  fs.mkdirSync(OUT, { recursive: true });
  log(`Chromium ${CHROMIUM}; WHMCS stand-in ${BASE}; service ${SERVICE}; simulator ${SIM_ROOT}`);
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
  log(`browser ${browser.version()}`);
  // The simulator's console page is served over HTTPS with the simulator's own CA.
  const context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(15000);
  page.on('pageerror', (error) => {
    pageErrors.push(`${page.url()}: ${error.message}`);
    log(`     page error: ${error.message}`);
  });
  page.on('console', (message) => {
    if (message.type() === 'error') {
      log(`     console error: ${message.text()}`);
    }
  });
  let onDialog = (dialog) => dialog.dismiss();
  const dialogs = [];
  page.on('dialog', async (dialog) => {
    dialogs.push({ type: dialog.type(), message: dialog.message() });
    log(`     ${dialog.type()} dialog: "${dialog.message()}"`);
    await onDialog(dialog);
  });

  try {
    await step('a wrong password is refused on the login page', async () => {
      await page.goto(`${BASE}/login.php`);
      await page.fill('#inputEmail', EMAIL);
      await page.fill('#inputPassword', `${PASSWORD}-wrong`);
      await page.click('#login');
      const alert = page.locator('#alertLoginFailed');
      await alert.waitFor();
      expect((await alert.innerText()).includes('Login Details Incorrect'), 'no "Login Details Incorrect" alert');
    });

    await step('the client logs in', async () => {
      await page.fill('#inputEmail', EMAIL);
      await page.fill('#inputPassword', PASSWORD);
      await Promise.all([page.waitForURL(/\/clientarea\.php/), page.click('#login')]);
      await page.locator('#Secondary_Navbar-Account-Logout').waitFor();
    });

    await step('the product page shows the building panel', async () => {
      await page.goto(productUrl);
      const root = page.locator(`.katapult[data-katapult-service="${SERVICE}"]`);
      await root.waitFor({ state: 'attached' });
      expect((await page.locator('.katapult').count()) === 1, 'expected exactly one .katapult root');
      await page.locator('.katapult.katapult-building').first().waitFor({ state: 'visible', timeout: 10000 });
      log(`     building panel: "${(await page.locator('.katapult-building').first().innerText()).trim().replace(/\s+/g, ' ')}"`);
      await screenshot(page, 'building.png');
    });

    await step('the building panel turns into the overview without a reload, and the VM is started', async () => {
      const marker = await setMarker(page);
      await page.locator('.katapult.katapult-overview').first().waitFor({ state: 'visible', timeout: BUILD_TIMEOUT });
      await expectMarker(page, marker, 'the VM was building');
      await page.locator('.katapult-vm-state[data-state="started"]').first().waitFor({ state: 'visible', timeout: STATE_TIMEOUT });
      await expectMarker(page, marker, 'the VM was starting');
      expect((await page.locator('.katapult-building').count()) === 0, 'the building panel is still there');
      const label = await stateLabel(page);
      expect(label !== '', 'the state has no visible label');
      log(`     state started, label "${label}"`);
      await screenshot(page, 'overview.png');
    });

    await step('Show fetches the root password, which the page does not hold; Hide hides it', async () => {
      const field = page.locator('.katapult .katapult-password').first();
      const reveal = page.locator('.katapult [data-katapult-reveal]').first();
      expect((await field.inputValue()) === '', 'the page holds the password');
      const source = await page.content();
      await reveal.click();
      await page.waitForFunction(() => {
        const f = document.querySelector('.katapult .katapult-password');
        return f && f.type === 'text' && f.value !== '';
      }, null, { timeout: 15000 });
      const password = await field.inputValue();
      expect(password.length >= 8, `the fetched password "${password}" is too short`);
      expect(!source.includes(password), 'the password was in the page');
      await reveal.click();
      expect((await field.getAttribute('type')) === 'password', 'Hide did not hide the password');
      log(`     fetched a ${password.length}-character password`);
    });

    await step('the console opens in a new window on the simulator\'s console page', async () => {
      const marker = await setMarker(page);
      const button = page.locator('.katapult [data-katapult-action="console"]').first();
      const form = await button.evaluate((b) => {
        const f = b.form;
        return f && {
          method: (f.getAttribute('method') || '').toLowerCase(),
          target: f.getAttribute('target'),
          action: f.action,
          katapultToken: !!(f.elements.katapult_token && f.elements.katapult_token.value),
          token: f.elements.token ? f.elements.token.value : '',
        };
      });
      expect(form, 'the console button is not in a form');
      expect(form.method === 'post', `the console form's method is "${form.method}", not post`);
      expect(form.target === '_blank', `the console form's target is "${form.target}", not _blank`);
      expect(/[?&]dosinglesignon=1(&|$)/.test(form.action) && form.action.includes(`id=${SERVICE}`), `console form action: ${form.action}`);
      expect(form.katapultToken && form.token !== '', 'the console form lacks katapult_token or token');
      const [popup] = await Promise.all([page.waitForEvent('popup'), button.click()]);
      await popup.waitForURL(/\/console\//, { timeout: 30000 });
      log(`     popup ${popup.url()}`);
      expect(popup.url().startsWith(SIM_ROOT), `the popup is not on the simulator: ${popup.url()}`);
      await popup.close();
      await expectMarker(page, marker, 'the console was opened');
    });

    let stopRequest;
    await step('Stop asks for confirmation, and cancelling sends nothing', async () => {
      const marker = await setMarker(page);
      const button = page.locator('.katapult [data-katapult-action="StopVm"]').first();
      const form = await button.evaluate((b) => b.form && {
        method: (b.form.getAttribute('method') || '').toLowerCase(),
        action: b.form.action,
        isAction: b.form.classList.contains('katapult-action'),
      });
      expect(form && form.method === 'post' && form.isAction, 'the Stop button is not in a POST form.katapult-action');
      expect(/[?&]modop=custom(&|$)/.test(form.action) && /[?&]a=StopVm(&|$)/.test(form.action), `Stop form action: ${form.action}`);
      const posts = [];
      const watch = (request) => request.method() === 'POST' && posts.push(request.url());
      page.on('request', watch);
      const before = dialogs.length;
      onDialog = (dialog) => dialog.dismiss();
      await button.click();
      await page.waitForTimeout(1500);
      page.off('request', watch);
      expect(dialogs.length === before + 1 && dialogs[before].type === 'confirm', 'no window.confirm() before Stop');
      expect(posts.length === 0, `cancelling still sent ${posts.join(', ')}`);
      await expectMarker(page, marker, 'Stop was cancelled');
    });

    await step('Stop, confirmed, succeeds', async () => {
      onDialog = (dialog) => dialog.accept();
      const button = page.locator('.katapult [data-katapult-action="StopVm"]').first();
      const [request] = await Promise.all([
        page.waitForRequest((r) => r.method() === 'POST' && /[?&]a=StopVm(&|$)/.test(r.url())),
        button.click(),
      ]);
      const contentType = (await request.allHeaders())['content-type'] || 'application/x-www-form-urlencoded';
      stopRequest = { url: request.url(), body: request.postData() || '', contentType };
      log(`     POST ${stopRequest.url} (${contentType.split(';')[0]})`);
      if (contentType.startsWith('multipart/')) {
        expect(/name="katapult_token"/.test(stopRequest.body) && /name="token"/.test(stopRequest.body),
          'the Stop POST lacks katapult_token or token');
      } else {
        log(`     form ${stopRequest.body.replace(/(token=)[^&]{6}[^&]*/g, '$1…')}`);
        const fields = new URLSearchParams(stopRequest.body);
        expect(fields.get('katapult_token') && fields.get('token'), 'the Stop POST lacks katapult_token or token');
      }
      const response = await request.response();
      expect(response && response.status() === 200, `the Stop POST answered HTTP ${response && response.status()}`);
      await page.waitForLoadState('load');
      const alert = page.locator('.alert-success', { hasText: 'Action Completed Successfully' });
      await alert.first().waitFor({ state: 'visible' });
      const state = await page.locator('.katapult-vm-state').first().getAttribute('data-state');
      log(`     state on the page answering the POST: ${state}`);
    });

    await step('the state goes to stopped by itself', async () => {
      const marker = await setMarker(page);
      await page.locator('.katapult-vm-state[data-state="stopped"]').first().waitFor({ state: 'visible', timeout: STATE_TIMEOUT });
      await expectMarker(page, marker, 'the VM was stopping');
      const label = await stateLabel(page);
      expect(label.includes('Stopped'), `the English label of stopped is "${label}", not "Stopped"`);
      await screenshot(page, 'stopped.png');
    });

    await step('a replayed Stop POST does nothing and says the link expired', async () => {
      const response = await context.request.post(stopRequest.url, {
        data: stopRequest.body,
        headers: { 'Content-Type': stopRequest.contentType },
      });
      const html = await response.text();
      expect(response.status() === 200, `the replay answered HTTP ${response.status()}`);
      expect(/expired/i.test(html), 'the replay response does not say "expired"');
      expect(!html.includes('Action Completed Successfully'), 'the replay says "Action Completed Successfully"');
      const stats = await simStats();
      const stops = stats.requests[STOP_ROUTE] || 0;
      log(`     simulator: ${stops} stop request(s)`);
      expect(stops === 1, `the simulator saw ${stops} stop requests, expected exactly 1`);
    });

    await step('the Manage section lists every address with its reverse DNS, the extra IPv4 one too', async () => {
      const forms = page.locator('.katapult .katapult-rdns-form');
      const count = await forms.count();
      expect(count === 2, `${count} reverse DNS form(s), expected 2 (the VM's address and one extra)`);
      const names = await page.locator('.katapult .katapult-rdns-name').evaluateAll((inputs) => inputs.map((i) => i.value));
      expect(names.every((n) => n.endsWith('.katapult.cloud')), `the default names are not the VM's FQDN: ${names.join(', ')}`);
      await page.locator('.katapult-manage').first().scrollIntoViewIfNeeded();
      await screenshot(page, 'manage.png');
    });

    await step('the client sets the reverse DNS of an address', async () => {
      const box = page.locator('.katapult .katapult-rdns-name').first();
      await box.fill('mail.example.com');
      await Promise.all([
        page.waitForRequest((r) => r.method() === 'POST' && /[?&]a=SetReverseDns(&|$)/.test(r.url())),
        page.locator('.katapult [data-katapult-action="SetReverseDns"]').first().click(),
      ]);
      await page.waitForLoadState('load');
      await page.locator('.alert-success', { hasText: 'Action Completed Successfully' }).first().waitFor({ state: 'visible' });
      const shown = await page.locator('.katapult .katapult-rdns-name').first().inputValue();
      expect(shown === 'mail.example.com', `the panel shows "${shown}" after the change`);
      await page.locator('.katapult-manage').first().scrollIntoViewIfNeeded();
      await screenshot(page, 'reverse-dns.png');
    });

    await step('a name that is no hostname is refused with a sentence, and nothing reaches Katapult', async () => {
      const before = (await simStats()).requests[RDNS_ROUTE] || 0;
      await page.locator('.katapult .katapult-rdns-name').first().fill('not a hostname!');
      await Promise.all([
        page.waitForRequest((r) => r.method() === 'POST' && /[?&]a=SetReverseDns(&|$)/.test(r.url())),
        page.locator('.katapult [data-katapult-action="SetReverseDns"]').first().click(),
      ]);
      await page.waitForLoadState('load');
      await page.locator('.alert-danger', { hasText: 'That is not a hostname' }).first().waitFor({ state: 'visible' });
      const after = (await simStats()).requests[RDNS_ROUTE] || 0;
      expect(after === before, `the refused name still reached Katapult (${after - before} request(s))`);
      await screenshot(page, 'reverse-dns-refused.png');
    });

    await step('the client renames the VM and its hostname; the hostname shown follows', async () => {
      await page.locator('.katapult .katapult-rename-form input[name="katapult_name"]').fill('Analytical Engine');
      await page.locator('.katapult .katapult-rename-form input[name="katapult_hostname"]').fill('engine-2');
      await Promise.all([
        page.waitForRequest((r) => r.method() === 'POST' && /[?&]a=RenameVm(&|$)/.test(r.url())),
        page.locator('.katapult [data-katapult-action="RenameVm"]').first().click(),
      ]);
      await page.waitForLoadState('load');
      await page.locator('.alert-success', { hasText: 'Action Completed Successfully' }).first().waitFor({ state: 'visible' });
      const details = await page.locator('.katapult .katapult-details').first().innerText();
      expect(/engine-2\./.test(details), `the overview does not show the new hostname: ${details.slice(0, 200)}`);
      await page.locator('.katapult-manage').first().scrollIntoViewIfNeeded();
      await screenshot(page, 'rename.png');
    });

    await step('in German the panel says "Gestoppt"', async () => {
      await page.goto(`${productUrl}&language=german`);
      await page.locator('.katapult-vm-state[data-state="stopped"]').first().waitFor({ state: 'visible' });
      const label = await stateLabel(page);
      expect(label.includes('Gestoppt'), `the German label of stopped is "${label}", not "Gestoppt"`);
      await screenshot(page, 'german.png');
      await page.goto(`${productUrl}&language=english`);
    });

    await step('the backups section shows the policy, and Change time moves it to an hour offered', async () => {
      await page.goto(productUrl);
      const section = page.locator('.katapult .katapult-backups').first();
      await section.waitFor({ state: 'visible' });
      const text = async (selector) => (await section.locator(selector).first().innerText()).trim();
      expect((await text('.katapult-backups-retention')) === '7', 'the section does not show 7 backups kept');
      expect((await text('.katapult-backups-time')) === '01:00 UTC', `the backup time is "${await text('.katapult-backups-time')}"`);
      const select = section.locator('select[name="katapult_backup_hour"]');
      const hours = await select.locator('option').evaluateAll((options) => options.map((o) => o.value));
      expect(hours.join(',') === '1,2,3,4,5', `the hours offered are ${hours.join(',')}, not 1 to 5`);
      await screenshot(page, 'backups.png');
      await select.selectOption('3');
      await Promise.all([page.waitForNavigation(), section.locator('[data-katapult-action="BackupTime"]').click()]);
      await page.locator('.alert-success', { hasText: 'Action Completed Successfully' }).first().waitFor({ state: 'visible' });
      await page.goto(productUrl);
      const moved = (await page.locator('.katapult .katapult-backups-time').first().innerText()).trim();
      expect(moved === '03:00 UTC', `after the change the backup time is "${moved}"`);
    });

    await adminSteps(browser, page, productUrl);

    await step('no uncaught JavaScript errors on the pages', async () => {
      expect(pageErrors.length === 0, `${pageErrors.length} page error(s): ${pageErrors.join(' | ')}`);
    });
  } catch (error) {
    if (!(error instanceof StepFailed)) {
      failed++;
      log(`FAIL ${error.stack || error}`);
    }
    try {
      await screenshot(page, 'failure.png');
      fs.writeFileSync(path.join(OUT, 'failure.html'), await page.content());
      log(`     page HTML ${path.join(OUT, 'failure.html')} (${page.url()})`);
    } catch (ignored) {
      // the browser may be gone
    }
  } finally {
    await browser.close().catch(() => {});
  }
  for (const file of screenshots) {
    console.log(`screenshot: ${file}`);
  }
}

main()
  .catch((error) => {
    failed++;
    log(`FAIL ${error.stack || error}`);
  })
  .finally(() => {
    fs.writeFileSync(RESULT, `${passed} ${failed}\n`);
    process.exitCode = failed === 0 && passed > 0 ? 0 : 1;
  });
