'use strict';
// Runs the generated n8n node in n8n-core (the engine n8n executes workflows
// with): a workflow through WorkflowExecute, whose declarative nodes run in
// RoutingNode, against a connector started on its sandbox, on loopback.
// Started by the Go test TestN8nNodeInN8nRuntime, which sets:
//   N8N_PACKAGE_DIR   the generated package
//   CONNECTOR_URL     the connector (its sandbox), CONNECTOR_API_KEY its engine key
//   SANDBOX_TOKEN     the sandbox's private token
//   N8N_USER_FOLDER   a temporary folder for n8n-core's instance settings

const { test, before } = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');

const { WorkflowExecute, ExecutionLifecycleHooks, RoutingNode, ExecuteContext, LoadOptionsContext } = require('n8n-core');
const { Workflow, NodeHelpers } = require('n8n-workflow');

const pkgDir = process.env.N8N_PACKAGE_DIR;
const connectorURL = process.env.CONNECTOR_URL;
const token = process.env.SANDBOX_TOKEN;
const engineKey = process.env.CONNECTOR_API_KEY;
for (const [k, v] of Object.entries({ N8N_PACKAGE_DIR: pkgDir, CONNECTOR_URL: connectorURL, SANDBOX_TOKEN: token, CONNECTOR_API_KEY: engineKey })) {
  assert.ok(v, `${k} must be set`);
}

// The package as n8n loads a community node: the files its package.json
// names under "n8n", each exporting the class named like the file
// ("X.node.js" exports X; packages/core/src/nodes-loader/directory-loader.ts).
const pkg = require(path.join(pkgDir, 'package.json'));
const loadClass = (file) => {
  const className = path.basename(file).replace(/\.(node|credentials)\.js$/, '');
  const cls = require(path.join(pkgDir, file))[className];
  assert.equal(typeof cls, 'function', `${file} exports the class ${className}`);
  return new cls();
};
const nodeType = loadClass(pkg.n8n.nodes[0]);
const credentialType = loadClass(pkg.n8n.credentials[0]);
// n8n names a community node "<package name>.<node name>".
const typeName = `${pkg.name}.${nodeType.description.name}`;

const nodeTypes = {
  getByName: (t) => (t === typeName ? nodeType : undefined),
  getByNameAndVersion: (t) => (t === typeName ? nodeType : undefined),
  getKnownTypes: () => ({}),
};

const credentials = {
  good: { privateToken: token, engineKey },
  bad: { privateToken: 'not-the-sandbox-token', engineKey },
};

// resolve evaluates a credential expression the way n8n's CredentialsHelper
// does (packages/cli/src/credentials-helper.ts, resolveValue: strings that
// start with "=" are expressions over $credentials).
const resolve = (workflow, node, value, creds) =>
  typeof value === 'string' && value.startsWith('=')
    ? workflow.expression.getSimpleParameterValue(node, value, 'internal', { $credentials: creds }, undefined, '')
    : value;

// The credentials helper n8n's CLI gives the engine, reduced to what a
// generic credential needs: decrypted data by credential id, and
// authenticate, which for type "generic" sets each resolved entry of
// properties.{headers,qs,body,auth} on the request
// (credentials-helper.ts, authenticate).
const credentialsHelper = {
  getParentTypes: () => [],
  getCredentialsProperties: () => credentialType.properties,
  isCredentialUsableByNode: () => true,
  async getDecrypted(additionalData, nodeCredentials, type) {
    assert.equal(type, credentialType.name);
    return { ...credentials[nodeCredentials.id] };
  },
  async preAuthentication() {
    return undefined;
  },
  async runPreAuthentication() {
    return undefined;
  },
  async authenticate(creds, type, requestOptions, workflow, node) {
    assert.equal(type, credentialType.name);
    const auth = credentialType.authenticate;
    assert.equal(auth.type, 'generic');
    for (const [outer, entries] of Object.entries(auth.properties)) {
      requestOptions[outer] = requestOptions[outer] || {};
      for (const [key, value] of Object.entries(entries)) {
        requestOptions[outer][resolve(workflow, node, key, creds)] = resolve(workflow, node, value, creds);
      }
    }
    return requestOptions;
  },
  async updateCredentials() {},
  async updateCredentialsOauthTokenData() {},
};

const additionalData = (workflowData) => ({
  credentialsHelper,
  hooks: new ExecutionLifecycleHooks('manual', 'harness-execution', workflowData),
  executeWorkflow: async () => {
    throw new Error('sub-workflows are not used');
  },
  restApiUrl: 'http://127.0.0.1:9/rest',
  instanceBaseUrl: 'http://127.0.0.1:9/',
  formWaitingBaseUrl: 'http://127.0.0.1:9/form-waiting',
  webhookBaseUrl: 'http://127.0.0.1:9/webhook',
  webhookWaitingBaseUrl: 'http://127.0.0.1:9/webhook-waiting',
  webhookTestBaseUrl: 'http://127.0.0.1:9/webhook-test',
  variables: {},
  userId: 'harness',
  executionId: 'harness-execution',
  setExecutionStatus: () => {},
  sendDataToUI: () => {},
  logAiEvent: () => {},
});

let nodeSeq = 0;
const node = (name, resource, operation, parameters, cred = 'good') => ({
  id: `node-${++nodeSeq}`,
  name,
  type: typeName,
  typeVersion: 1,
  position: [nodeSeq * 200, 0],
  parameters: { resource, operation, ...parameters },
  credentials: { [credentialType.name]: { id: cred, name: `ProfitWell (${cred})` } },
  executeOnce: true,
  alwaysOutputData: true,
});

// runWorkflow chains the nodes and runs them through WorkflowExecute, in
// manual mode, as the editor's "Test workflow" does; it returns each
// node's items (or error) by name.
const runWorkflow = async (nodes) => {
  const connections = {};
  for (let i = 0; i + 1 < nodes.length; i++) {
    connections[nodes[i].name] = { main: [[{ node: nodes[i + 1].name, type: 'main', index: 0 }]] };
  }
  const workflowData = { id: 'harness', name: 'ProfitWell harness', nodes, connections, active: false, settings: { executionOrder: 'v1' } };
  const workflow = new Workflow({ ...workflowData, nodeTypes, staticData: {} });
  const run = await new WorkflowExecute(additionalData(workflowData), 'manual').run({ workflow, startNode: workflow.getNode(nodes[0].name) });
  const out = {};
  for (const n of nodes) {
    const task = (run.data.resultData.runData[n.name] || [])[0];
    out[n.name] = task
      ? { items: task.error ? undefined : (task.data.main[0] || []).map((i) => i.json), error: task.error }
      : { notRun: true };
  }
  return { out, error: run.data.resultData.error, workflow };
};

const items = (result, name) => {
  const r = result.out[name];
  assert.ok(!r.notRun, `${name} did not run (workflow error: ${result.error && result.error.message})`);
  assert.ok(!r.error, `${name} failed: ${r.error && (r.error.description || r.error.message)}`);
  return r.items;
};

const connector = async (pathname, body) => {
  const res = await fetch(connectorURL + pathname, {
    method: body ? 'POST' : 'GET',
    headers: { Authorization: `Bearer ${engineKey}`, 'Content-Type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  assert.equal(res.status, 200, `${pathname}`);
  return res.json();
};

test('every module, field and RPC of the manifest is in the node', async () => {
  const doc = await connector('/v1/manifest');
  const props = nodeType.description.properties;
  const operations = props.filter((p) => p.name === 'operation');
  for (const m of doc.modules) {
    const opProp = operations.find((p) => p.options.some((o) => o.value === m.name));
    assert.ok(opProp, `module ${m.name} has no operation`);
    const op = opProp.options.find((o) => o.value === m.name);
    assert.equal(op.routing.request.url, `/v1/modules/${m.name}/execute`);
    const shown = (p) => p.displayOptions && p.displayOptions.show.operation && p.displayOptions.show.operation.includes(m.name);
    const mine = props.filter(shown);
    const additional = (mine.find((p) => p.name === 'additionalFields') || { options: [] }).options;
    const isList = m.type === 'search' || m.type === 'trigger';
    for (const f of [...m.parameters, ...m.expect]) {
      if (isList && f.name === 'limit') {
        assert.ok(mine.some((p) => p.name === 'returnAll'), `${m.name}: Return All`);
        assert.ok(mine.some((p) => p.name === 'limit' && p.routing.send.property === 'parameters.limit'), `${m.name}: Limit`);
        assert.ok(op.routing.operations && op.routing.operations.pagination, `${m.name}: pagination`);
        continue;
      }
      const p = mine.find((x) => x.name === f.name) || additional.find((x) => x.name === f.name);
      assert.ok(p, `${m.name}.${f.name} has no parameter`);
      assert.equal(p.routing.send.property, `parameters.${f.name}`, `${m.name}.${f.name} is sent`);
      assert.equal(!!p.required, !!f.required, `${m.name}.${f.name} required`);
      if (typeof f.options === 'string') {
        assert.equal(p.typeOptions.loadOptionsMethod, f.options.slice('rpc://'.length), `${m.name}.${f.name} loads options`);
      } else if (Array.isArray(f.options)) {
        assert.deepEqual(p.options.map((o) => o.value), f.options.map((o) => o.value), `${m.name}.${f.name} options`);
      }
    }
  }
  for (const r of doc.rpcs) {
    assert.equal(typeof nodeType.methods.loadOptions[r.name], 'function', `RPC ${r.name} is a load-options method`);
  }
});

test('the credential test request verifies the token and refuses a bad one', async () => {
  // n8n tests a credential by running its test request through RoutingNode
  // with the decrypted data (packages/cli/src/services/credentials-tester.service.ts).
  const testNode = node('Credential test', 'plans', 'getPlan', { temp: '' });
  const testType = {
    description: {
      ...nodeType.description,
      properties: [{ displayName: 'Temp', name: 'temp', type: 'string', routing: { request: credentialType.test.request }, default: '' }],
    },
  };
  const testTypes = { getByName: () => testType, getByNameAndVersion: () => testType, getKnownTypes: () => ({}) };
  const workflowData = { id: 'cred', name: 'credential test', nodes: [testNode], connections: {}, active: false, settings: {} };
  const workflow = new Workflow({ ...workflowData, nodeTypes: testTypes, staticData: {} });
  const runTest = async (data) => {
    const ad = additionalData(workflowData);
    const ctx = new ExecuteContext(workflow, testNode, ad, 'internal', undefined, 0, [{ json: {} }], { main: [[{ json: {} }]] }, { node: testNode, data: { main: [[{ json: {} }]] }, source: null }, []);
    return new RoutingNode(ctx, testType, { id: 'test', name: 'test', type: credentialType.name, data }).runNode();
  };
  const [[ok]] = await runTest(credentials.good);
  assert.equal(ok.json.verified, true);
  assert.ok(ok.json.metadata.label);
  await assert.rejects(runTest(credentials.bad), (err) => {
    assert.equal(err.httpCode, '401');
    return true;
  });
});

test('load-options methods list the RPCs\' options', async () => {
  const n = node('Options', 'plans', 'getPlan', {});
  const workflowData = { id: 'opts', name: 'options', nodes: [n], connections: {}, active: false, settings: {} };
  const workflow = new Workflow({ ...workflowData, nodeTypes, staticData: {} });
  for (const name of Object.keys(nodeType.methods.loadOptions)) {
    const ctx = new LoadOptionsContext(workflow, n, additionalData(workflowData), 'parameters.planId');
    const options = await nodeType.methods.loadOptions[name].call(ctx);
    const direct = await connector(`/v1/rpc/${name}`, { connection: { privateToken: token } });
    assert.deepEqual(options.slice(0, direct.options.length).map((o) => o.value), direct.options.map((o) => o.value), name);
    assert.ok(options.length > 0 && options.every((o) => o.name && o.value), `${name} options`);
  }
});

const unique = `${process.pid}-${Date.now() % 100000}`;

test('a workflow runs every operation', async () => {
  const plan = `n8n-${unique}`;
  const user = `n8n-user-${unique}`;
  const sub = `n8n-sub-${unique}`;
  const nodes = [
    node('Create Plan', 'plans', 'createPlan', { planId: plan, name: 'n8n plan' }),
    node('Update Plan', 'plans', 'updatePlan', { planId: plan, name: 'n8n plan (renamed)' }),
    node('Get Plan', 'plans', 'getPlan', { planId: '={{ $("Create Plan").first().json.id }}' }),
    node('List Plans', 'plans', 'listPlans', { returnAll: false, limit: 2 }),
    node('List All Plans', 'plans', 'listPlans', { returnAll: true, pageSize: 2 }),
    node('Create Subscription', 'subscriptions', 'createSubscription', {
      email: 'n8n@example.com', planId: plan, planInterval: 'month', value: 4900, effectiveDate: '2026-01-01T00:00:00',
      additionalFields: { userAlias: user, subscriptionAlias: sub },
    }),
    node('Update Subscription', 'subscriptions', 'updateSubscription', {
      subscriptionIdOrAlias: sub, planId: plan, planInterval: 'year', value: 49000, effectiveDate: '2026-02-01T00:00:00',
    }),
    node('Churn Subscription', 'subscriptions', 'churnSubscription', { subscriptionIdOrAlias: sub, effectiveDate: '2026-12-31', additionalFields: { churnType: 'delinquent' } }),
    node('Unchurn Subscription', 'subscriptions', 'unchurnSubscription', { subscriptionIdOrAlias: sub }),
    node('List Subscriptions', 'subscriptions', 'listSubscriptions', { userIdOrAlias: 'user_002', returnAll: true, pageSize: 1 }),
    node('Update User', 'users', 'updateUser', { userIdOrAlias: user, email: 'n8n2@example.com' }),
    node('List Customers', 'customers', 'listCustomers', { returnAll: false, limit: 3, additionalFields: { direction: 'desc' } }),
    node('List All Customers', 'customers', 'listCustomers', { returnAll: true, pageSize: 250 }),
    node('Get Customer', 'customers', 'getCustomer', { customerId: '={{ $("List Customers").first().json.customer_id }}' }),
    node('Exclude Customer', 'customers', 'excludeCustomer', { customerId: '={{ $("List Customers").first().json.customer_id }}' }),
    node('Watch Customers', 'customers', 'watchCustomers', { returnAll: true, pageSize: 300, additionalFields: { since: '2000-01-01T00:00:00' } }),
    node('Watch Customers (limit)', 'customers', 'watchCustomers', { returnAll: false, limit: 5, additionalFields: { since: '2000-01-01T00:00:00' } }),
    node('Monthly Metrics', 'metrics', 'getMonthlyMetrics', { returnAll: false, limit: 2, additionalFields: { metrics: ['recurring_revenue', 'active_customers'] } }),
    node('All Daily Metrics', 'metrics', 'getDailyMetrics', { returnAll: true, pageSize: 1 }),
    node('Company Settings', 'company', 'getCompanySettings', {}),
    node('API Call', 'other', 'makeApiCall', { url: '/plans/', method: 'GET', additionalFields: { headers: { items: [{ key: 'Accept', value: 'application/json' }] } } }),
    node('Delete User', 'users', 'deleteUser', { userIdOrAlias: user }),
  ];
  const result = await runWorkflow(nodes);
  const summary = {};
  for (const n of nodes) {
    summary[n.name] = items(result, n.name).length;
  }
  assert.ok(!result.error, `workflow error: ${result.error && result.error.message}`);
  console.log('items per node:', JSON.stringify(summary));

  assert.deepEqual(items(result, 'Create Plan'), [{ id: plan, name: 'n8n plan' }]);
  assert.equal(items(result, 'Update Plan')[0].name, 'n8n plan (renamed)');
  assert.deepEqual(items(result, 'Get Plan'), [{ id: plan, name: 'n8n plan (renamed)' }]);
  assert.equal(items(result, 'List Plans').length, 2);

  const allPlans = await connector('/v1/modules/listPlans/execute', { connection: { privateToken: token }, parameters: { limit: 10000 } });
  const paged = items(result, 'List All Plans').map((p) => p.id);
  assert.ok(allPlans.bundles.length > 4, 'enough plans for several pages of 2');
  assert.deepEqual(paged, allPlans.bundles.map((p) => p.id), 'Return All pages through every plan, in order, once');

  const s = items(result, 'Create Subscription')[0];
  assert.equal(s.subscription_alias, sub);
  assert.equal(s.plan_currency, 'usd', 'the connector applied its default');
  assert.equal(items(result, 'Update Subscription')[0].plan_interval, 'year');
  assert.equal(items(result, 'Churn Subscription')[0].subscription_id_or_alias, sub);
  assert.equal(items(result, 'Unchurn Subscription')[0].subscription_id_or_alias, sub);
  const history = items(result, 'List Subscriptions');
  assert.equal(history.length, 2, 'two history entries, one page each');
  assert.equal(items(result, 'Update User')[0].email, 'n8n2@example.com');

  const customers = items(result, 'List Customers');
  assert.equal(customers.length, 3);
  const all = items(result, 'List All Customers');
  assert.ok(all.length >= 1000, `Return All reached the end of the list: ${all.length}`);
  assert.equal(new Set(all.map((c) => c.customer_id)).size, all.length, 'no customer twice');
  assert.equal(items(result, 'Get Customer')[0].customer_id, customers[0].customer_id);
  assert.deepEqual(items(result, 'Exclude Customer'), [{ customer_id: customers[0].customer_id, excluded: true }]);
  const watched = items(result, 'Watch Customers');
  const directWatch = await connector('/v1/modules/watchCustomers/execute', { connection: { privateToken: token }, parameters: { since: '2000-01-01', limit: 10000 } });
  assert.ok(watched.length > 300, 'several pages of 300');
  assert.deepEqual(watched.map((c) => c.customer_id), directWatch.bundles.map((c) => c.customer_id), 'the trigger pages with its state through every change, once');
  assert.equal(items(result, 'Watch Customers (limit)').length, 5);

  const monthly = items(result, 'Monthly Metrics');
  assert.equal(monthly.length, 2);
  assert.ok('recurring_revenue' in monthly[0]);
  const daily = items(result, 'All Daily Metrics');
  const directDaily = await connector('/v1/modules/getDailyMetrics/execute', { connection: { privateToken: token }, parameters: { limit: 10000 } });
  assert.equal(daily.length, directDaily.bundles.length);
  const settings = items(result, 'Company Settings');
  assert.equal(settings.length, 1);
  assert.ok(settings[0].name);
  const call = items(result, 'API Call')[0];
  assert.equal(call.statusCode, 200);
  assert.ok(call.body.some((p) => p.id === plan));
  assert.deepEqual(items(result, 'Delete User')[0], { user_id_or_alias: user, deleted: true });
});

test('a bad token and a missing field fail the node with the connector\'s error', async () => {
  const bad = await runWorkflow([node('Bad Token', 'plans', 'listPlans', { returnAll: false, limit: 2 }, 'bad')]);
  const err = bad.out['Bad Token'].error;
  assert.ok(err, 'the node failed');
  assert.equal(err.httpCode, '401');
  assert.match(JSON.stringify(err), /InvalidAccessTokenError/);
  assert.ok(!JSON.stringify(err).includes('not-the-sandbox-token'), 'the token is not echoed');

  // A required parameter left empty: n8n itself refuses to run the
  // workflow (WorkflowExecute.checkForWorkflowIssues), naming it.
  await assert.rejects(runWorkflow([node('No Name', 'plans', 'createPlan', { planId: `missing-${unique}`, name: '' })]), (e) => {
    assert.match(e.message, /Parameter "Name" is required/);
    return true;
  });
  // An expression that turns out empty reaches the connector, which names the field.
  const missing = await runWorkflow([node('Missing Name', 'plans', 'createPlan', { planId: `missing-${unique}`, name: '={{ "" }}' })]);
  const m = missing.out['Missing Name'].error;
  assert.ok(m, 'the node failed');
  assert.equal(m.httpCode, '400');
  assert.match(JSON.stringify(m), /DataError/);
  assert.match(JSON.stringify(m), /name/);
});
