'use strict';
// Runs the generated Zapier app in zapier-platform-core 19.1.0 (the runtime
// Zapier runs apps with) against a connector started on its sandbox, on
// loopback. Started by the Go test TestZapierAppInZapierRuntime, which sets:
//   ZAPIER_APP_DIR      the generated app
//   CONNECTOR_URL       the connector (its sandbox), CONNECTOR_API_KEY its engine key
//   SANDBOX_TOKEN       the sandbox's private token
//   NODE_ENV=test       core checks outputs only in tests (constants.IS_TESTING)
//   ZAPIER_BASE_ENDPOINT, LOGGING_ENDPOINT  a closed loopback port: nothing leaves the machine
// No event carries a `token`: with one, core would log to Zapier and call its RPC with X-Token.

const { test, before, after } = require('node:test');
const assert = require('node:assert/strict');
const http = require('node:http');
const path = require('node:path');

const zapier = require('zapier-platform-core');
const schema = require('zapier-platform-core/src/tools/schema');

const appDir = process.env.ZAPIER_APP_DIR;
const connectorURL = process.env.CONNECTOR_URL;
const token = process.env.SANDBOX_TOKEN;
for (const [k, v] of Object.entries({ ZAPIER_APP_DIR: appDir, CONNECTOR_URL: connectorURL, SANDBOX_TOKEN: token })) {
  assert.ok(v, `${k} must be set`);
}
for (const k of ['ZAPIER_BASE_ENDPOINT', 'LOGGING_ENDPOINT']) {
  assert.match(process.env[k] || '', /^http:\/\/127\.0\.0\.1:\d+$/, `${k} must point at loopback`);
}
assert.equal(process.env.NODE_ENV, 'test');

const app = require(path.join(appDir, 'index.js'));
const handler = zapier.createAppHandler(app);
const auth = { privateToken: token };
const unique = `${process.pid}-${Date.now() % 100000}`;

// The loopback stand-in for Zapier's RPC endpoint behind z.cursor: the app
// tester does not fake it, and core's own fake (event.cursorTestObj) is
// keyed differently from what core reads in 19.1.0. It speaks core's
// protocol (tools/create-rpc-client.js): POST {id, storeKey, method, params}
// → {id, result}; the cursor is kept per storeKey, as Zapier does per poll.
const cursors = new Map();
const cursorCalls = [];
let rpcServer;
let rpcBase;
before(async () => {
  rpcServer = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const msg = JSON.parse(body);
      let result = null;
      if (msg.method === 'get_cursor') {
        result = cursors.has(msg.storeKey) ? cursors.get(msg.storeKey) : null;
      } else if (msg.method === 'set_cursor') {
        cursors.set(msg.storeKey, msg.params[0]);
      } else {
        res.writeHead(400, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ id: msg.id, error: `unexpected RPC ${msg.method}` }));
        return;
      }
      cursorCalls.push({ storeKey: msg.storeKey, method: msg.method, params: msg.params });
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ id: msg.id, result }));
    });
  });
  await new Promise((resolve) => rpcServer.listen(0, '127.0.0.1', resolve));
  rpcBase = `http://127.0.0.1:${rpcServer.address().port}/platform/rpc/cli`;
});
after(() => rpcServer.close());

// run executes one method of the app the way Zapier's Lambda does.
const run = async (method, bundle, storeKey = null) => {
  const out = await handler({ command: 'execute', method, bundle, storeKey, rpc_base: rpcBase });
  return out.results;
};

// zapierError reads a failure: errors thrown with z.errors.Error reach the
// caller as an AppError whose message is JSON {message, code, status}.
const zapierError = async (promise) => {
  try {
    await promise;
  } catch (err) {
    try {
      return { name: err.name, ...JSON.parse(err.message) };
    } catch (e) {
      return { name: err.name, message: err.message };
    }
  }
  assert.fail('expected an error');
};

const manifest = async () => {
  const res = await fetch(`${connectorURL}/v1/manifest`, {
    headers: { Authorization: `Bearer ${process.env.CONNECTOR_API_KEY}` },
  });
  assert.equal(res.status, 200);
  return res.json();
};

const operationOf = (name) => {
  for (const group of ['triggers', 'searches', 'creates']) {
    if (app[group][name]) {
      return { group, op: app[group][name] };
    }
  }
  return undefined;
};

test('the app validates against zapier-platform-schema', () => {
  const errors = schema.validateApp(schema.prepareApp(app));
  assert.deepEqual(errors, []);
});

test('every module, field, output and RPC of the manifest is in the app', async () => {
  const doc = await manifest();
  for (const m of doc.modules) {
    const found = operationOf(m.name);
    assert.ok(found, `module ${m.name} has no operation`);
    const op = found.op.operation;
    const inputs = op.inputFields.map((f) => f.key).sort();
    const want = [...m.parameters, ...m.expect].map((f) => f.name).sort();
    assert.deepEqual(inputs, want, `inputs of ${m.name}`);
    for (const f of [...m.parameters, ...m.expect]) {
      const zf = op.inputFields.find((x) => x.key === f.name);
      assert.equal(!!zf.required, !!f.required, `${m.name}.${f.name} required`);
      if (typeof f.options === 'string') {
        assert.equal(zf.dynamic, `rpc_${f.options.slice('rpc://'.length)}.id.name`, `${m.name}.${f.name} dropdown`);
      } else if (Array.isArray(f.options)) {
        assert.deepEqual(zf.choices.map((c) => c.value), f.options.map((o) => String(o.value)), `${m.name}.${f.name} choices`);
      }
    }
    const outputs = op.outputFields.map((f) => f.key);
    for (const f of m.interface) {
      assert.ok(outputs.includes(f.name), `output ${f.name} of ${m.name}`);
    }
    assert.deepEqual(op.sample, m.samples, `sample of ${m.name}`);
    const group = { search: 'triggers', trigger: 'triggers', universal: 'creates' }[m.type] || (m.crud === 'read' ? 'searches' : 'creates');
    assert.equal(found.group, group, `${m.name} is one of the ${group}`);
    if (group === 'triggers') {
      assert.equal(op.canPaginate, true, `${m.name} pages`);
      assert.ok(op.outputFields.some((f) => f.primary), `${m.name} has primary fields`);
    }
  }
  for (const r of doc.rpcs) {
    const t = app.triggers[`rpc_${r.name}`];
    assert.ok(t && t.display.hidden, `RPC ${r.name} is a hidden trigger`);
  }
});

let label;
test('authentication: the test request verifies the token and the label names the company', async () => {
  const verified = await run('authentication.test', { authData: auth, inputData: {} });
  assert.equal(verified.verified, true);
  assert.ok(verified.metadata.label);
  label = await run('authentication.connectionLabel', { authData: auth, inputData: verified });
  assert.equal(label, verified.metadata.label);
});

test('a bad token fails the test request and every operation with InvalidAccessTokenError', async () => {
  const bad = { privateToken: 'not-the-sandbox-token' };
  for (const [method, inputData] of [
    ['authentication.test', {}],
    ['triggers.listPlans.operation.perform', { limit: 2 }],
    ['searches.getCompanySettings.operation.perform', {}],
    ['creates.createPlan.operation.perform', { planId: `bad-${unique}`, name: 'Bad' }],
  ]) {
    const err = await zapierError(run(method, { authData: bad, inputData }));
    assert.equal(err.code, 'InvalidAccessTokenError', `${method}: ${JSON.stringify(err)}`);
    assert.equal(err.status, 401);
    assert.ok(!JSON.stringify(err).includes('not-the-sandbox-token'), 'the token is not echoed');
  }
});

test('a missing required field is a DataError naming it', async () => {
  const err = await zapierError(run('creates.createPlan.operation.perform', { authData: auth, inputData: { planId: `missing-${unique}` } }));
  assert.equal(err.code, 'DataError');
  assert.equal(err.status, 400);
  assert.match(err.message, /name: is required/);
});

// pages reads a paging trigger page after page, as Zapier does when it
// loads more: bundle.meta.page counts up, the cursor lives in z.cursor.
const pages = async (key, inputData, maxPages = 12) => {
  const storeKey = `${key}-${unique}`;
  const out = [];
  for (let page = 0; page < maxPages; page++) {
    const results = await run(`triggers.${key}.operation.perform`, { authData: auth, inputData, meta: { page } }, storeKey);
    if (results.length === 0) {
      return { pages: out, storeKey };
    }
    out.push(results);
  }
  assert.fail(`${key}: more than ${maxPages} pages`);
};

const primaryOf = (key) => app.triggers[key].operation.outputFields.filter((f) => f.primary).map((f) => f.key);
const idOf = (key, item) => primaryOf(key).map((k) => JSON.stringify(item[k])).join('|');

// checkPaging pages with a small limit and compares with one big page:
// every page within the limit, nothing repeated (Zapier's dedupe key),
// nothing skipped, the last cursor stored as ''.
const checkPaging = async (key, inputData, { minPages = 2 } = {}) => {
  const limit = inputData.limit;
  const { pages: got, storeKey } = await pages(key, inputData);
  assert.ok(got.length >= minPages, `${key}: ${got.length} pages, want at least ${minPages}`);
  const ids = [];
  for (const p of got) {
    assert.ok(p.length <= limit, `${key}: a page of ${p.length} over the limit ${limit}`);
    for (const item of p) {
      ids.push(idOf(key, item));
    }
  }
  assert.equal(new Set(ids).size, ids.length, `${key}: a primary key repeats across pages`);
  const whole = await run(`triggers.${key}.operation.perform`, { authData: auth, inputData: { ...inputData, limit: 10000 }, meta: { page: 0 } }, `${storeKey}-whole`);
  assert.deepEqual(ids.slice().sort(), whole.map((i) => idOf(key, i)).sort(), `${key}: paging skipped or added items`);
  const sets = cursorCalls.filter((c) => c.storeKey === storeKey && c.method === 'set_cursor');
  assert.ok(sets.length >= got.length, `${key}: the cursor is stored on every page`);
  assert.equal(sets[sets.length - 1].params[0], '', `${key}: the final cursor is ''`);
  return { pages: got, all: got.flat() };
};

const created = {};

test('creates: plans', async () => {
  created.plan = `zap-${unique}`;
  const plan = await run('creates.createPlan.operation.perform', { authData: auth, inputData: { planId: created.plan, name: 'Zapier plan' } });
  assert.deepEqual(plan, { id: created.plan, name: 'Zapier plan' });
  const renamed = await run('creates.updatePlan.operation.perform', { authData: auth, inputData: { planId: created.plan, name: 'Zapier plan (renamed)' } });
  assert.equal(renamed.name, 'Zapier plan (renamed)');
});

test('creates: a subscription through its life, then its user', async () => {
  const user = `zap-user-${unique}`;
  const sub = `zap-sub-${unique}`;
  created.user = user;
  const s = await run('creates.createSubscription.operation.perform', {
    authData: auth,
    inputData: {
      userAlias: user, subscriptionAlias: sub, email: 'zap@example.com', planId: created.plan,
      planInterval: 'month', value: '4900', effectiveDate: '2026-01-01T00:00:00Z',
    },
  });
  assert.equal(s.subscription_alias, sub);
  assert.equal(s.value, 4900);
  assert.equal(s.plan_currency, 'usd', 'the connector applied its default');
  const u = await run('creates.updateSubscription.operation.perform', {
    authData: auth,
    inputData: { subscriptionIdOrAlias: sub, planId: created.plan, planInterval: 'year', value: 49000, effectiveDate: '2026-02-01' },
  });
  assert.equal(u.plan_interval, 'year');
  const c = await run('creates.churnSubscription.operation.perform', {
    authData: auth, inputData: { subscriptionIdOrAlias: sub, effectiveDate: '2026-12-31', churnType: 'voluntary' },
  });
  assert.equal(c.subscription_id_or_alias, sub);
  const again = await zapierError(run('creates.churnSubscription.operation.perform', {
    authData: auth, inputData: { subscriptionIdOrAlias: sub, effectiveDate: '2026-12-31' },
  }));
  assert.equal(again.code, 'DataError');
  const un = await run('creates.unchurnSubscription.operation.perform', { authData: auth, inputData: { subscriptionIdOrAlias: sub } });
  assert.equal(un.subscription_id_or_alias, sub);
  const uu = await run('creates.updateUser.operation.perform', { authData: auth, inputData: { userIdOrAlias: user, email: 'zap2@example.com' } });
  assert.equal(uu.email, 'zap2@example.com');
});

test('creates: a raw API call with a header dictionary', async () => {
  const r = await run('creates.makeApiCall.operation.perform', {
    authData: auth, inputData: { url: '/plans/', method: 'GET', headers: { Accept: 'application/json' } },
  });
  assert.equal(r.statusCode, 200);
  assert.ok(Array.isArray(r.body) && r.body.some((p) => p.id === created.plan));
});

test('searches: gets, and nothing found is an empty result', async () => {
  const plans = await run('searches.getPlan.operation.perform', { authData: auth, inputData: { planId: created.plan } });
  assert.equal(plans.length, 1);
  assert.equal(plans[0].id, created.plan);
  const none = await run('searches.getPlan.operation.perform', { authData: auth, inputData: { planId: `no-such-plan-${unique}` } });
  assert.deepEqual(none, []);
  const settings = await run('searches.getCompanySettings.operation.perform', { authData: auth, inputData: {} });
  assert.equal(settings.length, 1);
  assert.equal(settings[0].name, label);
  const [first] = await run('triggers.listCustomers.operation.perform', { authData: auth, inputData: { limit: 1 }, meta: { page: 0 } }, `first-${unique}`);
  const customers = await run('searches.getCustomer.operation.perform', { authData: auth, inputData: { customerId: first.customer_id } });
  assert.equal(customers.length, 1);
  assert.equal(customers[0].customer_id, first.customer_id);
  const ex = await run('creates.excludeCustomer.operation.perform', { authData: auth, inputData: { customerId: first.customer_id } });
  assert.deepEqual(ex, { customer_id: first.customer_id, excluded: true });
});

test('triggers: every list pages with its cursor and deduplicates by its primary key', async () => {
  const plans = await checkPaging('listPlans', { limit: 2 }, { minPages: 3 });
  assert.ok(plans.all.some((p) => p.id === created.plan));
  const subs = await checkPaging('listSubscriptions', { userIdOrAlias: 'user_002', limit: 1 });
  assert.equal(new Set(subs.all.map((s) => s.subscription_id)).size, 1, 'one subscription, several history entries');
  await checkPaging('listCustomers', { limit: 100, direction: 'desc' }, { minPages: 10 });
  await checkPaging('getMonthlyMetrics', { limit: 5, metrics: 'recurring_revenue,active_customers' }, { minPages: 2 });
  await checkPaging('getDailyMetrics', { limit: 1 }, { minPages: 1 });
});

test('triggers: Watch Customers reads its window newest first in pages of its limit', async () => {
  const got = await checkPaging('watchCustomers', { since: '2000-01-01', limit: 100 }, { minPages: 10 });
  const dates = got.all.map((c) => c.updated_on);
  assert.deepEqual(dates, dates.slice().sort().reverse(), 'newest first');
});

test('dynamic dropdowns: every RPC lists its options, and paging ends', async () => {
  const plans = await run('triggers.rpc_listPlans.operation.perform', { authData: auth, inputData: {}, meta: { page: 0 } }, `rpc-plans-${unique}`);
  assert.ok(plans.some((o) => o.id === created.plan && o.name === 'Zapier plan (renamed)'));
  const customers = await run('triggers.rpc_searchCustomers.operation.perform', { authData: auth, inputData: {}, meta: { page: 0 } }, `rpc-cust-${unique}`);
  assert.ok(customers.length > 0 && customers.every((o) => o.id && o.name));
  const metricPlans = await run('triggers.rpc_listMetricPlanIds.operation.perform', { authData: auth, inputData: {}, meta: { page: 0 } }, `rpc-metric-${unique}`);
  assert.ok(metricPlans.length > 0);
  for (const key of [`rpc-plans-${unique}`, `rpc-cust-${unique}`]) {
    const storeKey = key;
    const next = await run(`triggers.rpc_${key.startsWith('rpc-plans') ? 'listPlans' : 'searchCustomers'}.operation.perform`, { authData: auth, inputData: {}, meta: { page: 1 } }, storeKey);
    assert.ok(Array.isArray(next));
  }
});

test('creates: deleting the user', async () => {
  const d = await run('creates.deleteUser.operation.perform', { authData: auth, inputData: { userIdOrAlias: created.user } });
  assert.equal(d.deleted, true);
});
