'use strict';
// The runtime of the generated Zapier app: definition.json (generated from the
// connector's manifest) holds the app without its functions; this file gives
// every operation its perform, the authentication its test and label, and
// every request the connector's engine key. Do not edit: regenerate with
// `connector export zapier`.

const definition = require('./definition.json');

const connector = definition.connector;
const operations = definition.operations;

const engineKey = () => connector.apiKey || process.env[connector.apiKeyEnv] || '';

// The engine key goes only to the connector, never anywhere else.
const addEngineKey = (request) => {
  const key = engineKey();
  if (key && typeof request.url === 'string' && request.url.startsWith(connector.publicUrl + '/')) {
    request.headers = request.headers || {};
    request.headers.Authorization = 'Bearer ' + key;
  }
  return request;
};

const connection = (bundle) => {
  const out = {};
  for (const name of connector.connectionFields) {
    out[name] = (bundle.authData || {})[name];
  }
  return out;
};

// The connector's typed error, as Zapier error: its type is the code, the
// message names every bad field; RateLimitError becomes a ThrottledError,
// so Zapier retries after the connector's delay.
const connectorError = (z, response) => {
  let error = {};
  try {
    error = JSON.parse(response.content).error || {};
  } catch (e) {
    error = {};
  }
  const type = error.type || 'RuntimeError';
  let message = error.message || `The connector answered HTTP ${response.status}.`;
  if (Array.isArray(error.fields) && error.fields.length > 0) {
    message += ' ' + error.fields.map((f) => `${f.name}: ${f.message}`).join('; ');
  }
  if (type === 'RateLimitError') {
    return new z.errors.ThrottledError(message, Math.max(1, Math.ceil((error.retryAfterMs || 1000) / 1000)));
  }
  const err = new z.errors.Error(message, type, response.status);
  err.connectorCode = error.code;
  return err;
};

const post = async (z, path, body) => {
  const response = await z.request({
    url: connector.publicUrl + path,
    method: 'POST',
    body,
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    skipThrowForStatus: true,
  });
  if (response.status >= 400) {
    throw connectorError(z, response);
  }
  return response.data !== undefined ? response.data : JSON.parse(response.content);
};

// parameters converts Zapier's input into the connector's parameters: only
// the module's own fields, empty values left out (the connector applies its
// defaults), dictionaries as key-value lists, code fields parsed as JSON.
const parameters = (z, op, inputData) => {
  const out = {};
  for (const [name, kind] of Object.entries(op.inputs)) {
    let v = (inputData || {})[name];
    if (v === undefined || v === null || v === '') {
      continue;
    }
    switch (kind) {
      case 'dict':
        if (typeof v === 'object' && !Array.isArray(v)) {
          v = Object.entries(v).map(([key, value]) => ({ key, value: String(value) }));
        }
        break;
      case 'json':
        if (typeof v === 'string') {
          try {
            v = JSON.parse(v);
          } catch (e) {
            throw new z.errors.Error(`${name}: is not valid JSON`, 'DataError', 400);
          }
        }
        break;
      case 'list':
        if (!Array.isArray(v)) {
          v = String(v).split(',').map((s) => s.trim()).filter((s) => s !== '');
        }
        break;
      case 'boolean':
        if (typeof v === 'string') {
          v = ['true', 'yes', '1'].includes(v.toLowerCase());
        }
        break;
      default:
    }
    out[name] = v;
  }
  return out;
};

const execute = (z, bundle, op, extra) =>
  post(z, `/v1/modules/${op.module}/execute`, {
    connection: connection(bundle),
    parameters: parameters(z, op, bundle.inputData),
    ...extra,
  });

const page = (bundle) => (bundle.meta && bundle.meta.page) || 0;

// A list module pages with the connector's cursor, kept in z.cursor between
// Zapier's page requests; '' marks the end.
const listPerform = (op) => async (z, bundle) => {
  const extra = {};
  if (page(bundle) > 0) {
    const cursor = await z.cursor.get();
    if (!cursor) {
      return [];
    }
    extra.cursor = cursor;
  }
  const answer = await execute(z, bundle, op, extra);
  const next = answer.meta && answer.meta.hasMore && answer.meta.nextCursor ? answer.meta.nextCursor : '';
  await z.cursor.set(next);
  return answer.bundles;
};

// A trigger module reads the changes of a window (from its start date, or
// the look-back days) through the connector's state, newest first as Zapier
// polls want; Zapier's pages are slices of "limit" changes.
const maxTriggerRuns = 20;
const triggerPerform = (op) => async (z, bundle) => {
  const input = { ...(bundle.inputData || {}) };
  if (op.since && !input[op.since]) {
    input[op.since] = new Date(Date.now() - connector.triggerLookbackDays * 86400000).toISOString();
  }
  const limit = Number(input.limit) > 0 ? Number(input.limit) : 10;
  input.limit = op.readLimit;
  const all = [];
  let state;
  for (let run = 0; run < maxTriggerRuns; run++) {
    const answer = await execute(z, { ...bundle, inputData: input }, op, state ? { state } : {});
    all.push(...answer.bundles);
    state = answer.state;
    if (!(answer.meta && answer.meta.hasMore) || !state) {
      break;
    }
  }
  all.reverse();
  const start = page(bundle) * limit;
  const slice = all.slice(start, start + limit);
  await z.cursor.set(start + limit < all.length ? String(start + limit) : '');
  return slice;
};

// A read action is a search: one result, or none when the object does not
// exist (Zapier's "nothing found" is an empty array).
const searchPerform = (op) => async (z, bundle) => {
  try {
    const answer = await execute(z, bundle, op, {});
    return answer.bundles;
  } catch (err) {
    if (err.connectorCode === 'NOT_FOUND') {
      return [];
    }
    throw err;
  }
};

const createPerform = (op) => async (z, bundle) => {
  const answer = await execute(z, bundle, op, {});
  return answer.bundles[0];
};

// An RPC feeds dynamic dropdowns: options as {id, name}, paged with its cursor.
const rpcPerform = (op) => async (z, bundle) => {
  const body = { connection: connection(bundle) };
  if (page(bundle) > 0) {
    const cursor = await z.cursor.get();
    if (!cursor) {
      return [];
    }
    body.cursor = cursor;
  }
  const answer = await post(z, `/v1/rpc/${op.rpc}`, body);
  await z.cursor.set(answer.nextCursor || '');
  return (answer.options || []).map((o) => ({ id: String(o.value), name: o.label }));
};

const performs = {
  list: listPerform,
  trigger: triggerPerform,
  search: searchPerform,
  create: createPerform,
  rpc: rpcPerform,
};

const app = JSON.parse(JSON.stringify(definition.app));
app.beforeRequest = [addEngineKey];
app.authentication.test = (z, bundle) => post(z, '/v1/connection/verify', { connection: connection(bundle) });
app.authentication.connectionLabel = (z, bundle) => {
  const data = bundle.inputData || {};
  return (data.metadata && data.metadata.label) || '';
};
for (const group of ['triggers', 'searches', 'creates']) {
  for (const [key, entry] of Object.entries(app[group])) {
    const op = operations[key];
    entry.operation.perform = performs[op.kind](op);
  }
}

module.exports = app;
