// The Ledger connector on the published @app-connect/core, registered as platform "ledger".
// Environment: PORT (0 = any), DATABASE_URL, APP_SERVER_SECRET_KEY, LEDGER_API_KEY,
// FOREIGN_BREAK (optional, see connector.js).
'use strict';

process.env.DATABASE_URL = process.env.DATABASE_URL || 'sqlite:./db.sqlite';
const { createCoreApp, connectorRegistry } = require('@app-connect/core');
const connector = require('./connector');
const manifest = require('./manifest.json');

connectorRegistry.setDefaultManifest(manifest);
connectorRegistry.registerConnector('ledger', connector, manifest);

const app = createCoreApp();
const server = app.listen(Number(process.env.PORT ?? 6066), '127.0.0.1', () => {
    console.log(`appconnect-node-connector listening on http://127.0.0.1:${server.address().port}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
