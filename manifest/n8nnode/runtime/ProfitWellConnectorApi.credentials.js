'use strict';
// The generated n8n credential type: the connection's fields and the
// connector's engine key, sent as a bearer header, tested with the
// connector's verify request. Do not edit: regenerate with
// `connector export n8n`.

const generated = require('./credential.json');

class ProfitWellConnectorApi {
  constructor() {
    Object.assign(this, JSON.parse(JSON.stringify(generated)));
  }
}

module.exports = { ProfitWellConnectorApi };
