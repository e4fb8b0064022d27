// Runs App Connect's own composeCallLog (from the installed @app-connect/core) on a batch of
// cases: stdin is a JSON array of parameter objects, stdout a JSON array with, per case,
// the first composition and the second (the first result as existingBody), or the error.
// The package exports ./lib/* (its dist/lib). One process per batch: starting Node and loading the core costs more than the cases.
'use strict';
const { composeCallLog } = require('@app-connect/core/lib/callLogComposer');

// moment warns once on stderr when it falls back to `new Date(string)`; keep stderr quiet.
require('moment').suppressDeprecationWarnings = true;

function compose(params) {
  try {
    const body = composeCallLog(params);
    return body === undefined ? { undefined: true } : { body };
  } catch (error) {
    return { error: `${error.name}: ${error.message}` };
  }
}

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => { input += chunk; });
process.stdin.on('end', () => {
  const results = JSON.parse(input).map((params) => {
    const first = compose(params);
    if (typeof first.body !== 'string') return { first };
    return { first, second: compose({ ...params, existingBody: first.body }) };
  });
  process.stdout.write(JSON.stringify(results));
});
