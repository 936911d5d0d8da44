'use strict';
// The generated n8n node: description.json (generated from the connector's
// manifest) is a declarative node description run by n8n's RoutingNode; this
// file adds the load-options methods, one per connector RPC. Do not edit:
// regenerate with `connector export n8n`.

const generated = require('./description.json');

const credentialName = generated.description.credentials[0].name;
const maxOptionPages = 20;

// loadOptions asks the connector's RPC for its options, following its cursor.
const loadOptions = (path) =>
  async function () {
    const credentials = await this.getCredentials(credentialName);
    const connection = {};
    for (const name of Object.keys(generated.connection)) {
      connection[name] = credentials[name];
    }
    const options = [];
    let cursor;
    for (let page = 0; page < maxOptionPages; page++) {
      const body = { connection };
      if (cursor) {
        body.cursor = cursor;
      }
      const answer = await this.helpers.httpRequestWithAuthentication.call(this, credentialName, {
        method: 'POST',
        baseURL: generated.description.requestDefaults.baseURL,
        url: path,
        body,
        json: true,
      });
      for (const o of answer.options || []) {
        options.push({ name: o.label, value: o.value });
      }
      cursor = answer.nextCursor;
      if (!cursor) {
        break;
      }
    }
    return options;
  };

class ProfitWellConnector {
  constructor() {
    this.description = JSON.parse(JSON.stringify(generated.description));
    this.methods = { loadOptions: {} };
    for (const [name, path] of Object.entries(generated.loadOptions)) {
      this.methods.loadOptions[name] = loadOptions(path);
    }
  }
}

module.exports = { ProfitWellConnector };
