// A connector for "Ledger", a CRM that lives inside this server process (like the App Connect
// template's mock CRM), written against the interfaces @app-connect/core calls.
//
// What makes it foreign to the harness: its findContact answers App Connect's "create new
// contact" placeholder (isNewContact: true, id "createNewContact") when nothing matches, as
// many real connectors do; and every id it makes carries a prefix drawn at start-up, so ids
// are not stable across restarts. FOREIGN_BREAK selects a realistic bug (see BREAKS below).
'use strict';

const crypto = require('crypto');

const PREFIX = crypto.randomBytes(3).toString('hex');
const API_KEY = process.env.LEDGER_API_KEY || '';
const BREAK = process.env.FOREIGN_BREAK || '';
// The bugs real connectors ship; the harness must name each one.
const BREAKS = ['whole-body', 'wrong-shape', 'no-id', 'date-overwrite'];
if (BREAK && !BREAKS.includes(BREAK)) {
    throw new Error(`FOREIGN_BREAK must be one of ${BREAKS.join(', ')}`);
}

let counter = 0;
const newId = (kind) => `${PREFIX}-${kind}${++counter}`;
const contacts = new Map();
const entries = new Map(); // call log entries: id -> {id, contactId, title, text, occurredAt, ...}
for (const [name, phone] of [['Mart Männik', '+16505550101']]) {
    const id = newId('c');
    contacts.set(id, { id, name, phone });
}

function success(message) {
    return { message, messageType: 'success', ttl: 2000 };
}

function notFound(what) {
    const error = new Error(`${what} not found`);
    error.response = { status: 404, data: { error: `${what} not found` } };
    return error;
}

function isoTime(value) {
    if (typeof value === 'number') {
        return new Date(value).toISOString();
    }
    return value == null ? new Date().toISOString() : new Date(value).toISOString();
}

function getAuthType() {
    return 'apiKey';
}

function getBasicAuth({ apiKey }) {
    return Buffer.from(`${apiKey}:`).toString('base64');
}

async function getUserInfo({ apiKey }) {
    if (!API_KEY || apiKey !== API_KEY) {
        return { successful: false, returnMessage: { message: 'Invalid API key', messageType: 'warning', ttl: 3000 } };
    }
    return {
        successful: true,
        platformUserInfo: { id: 'ledger-user-7', name: 'Lea Ledger', timezoneName: 'UTC', timezoneOffset: '0' },
        returnMessage: success('Connected to Ledger.'),
    };
}

async function findContact({ phoneNumber }) {
    const matched = [...contacts.values()]
        .filter((c) => c.phone === phoneNumber)
        .map((c) => ({ id: c.id, name: c.name, phone: c.phone, type: 'Contact', additionalInfo: null }));
    if (matched.length === 0) {
        matched.push({ id: 'createNewContact', name: 'Create new contact...', isNewContact: true });
    }
    return { successful: true, matchedContactInfo: matched, returnMessage: success(`Found ${matched.length} contacts`) };
}

async function createContact({ phoneNumber, newContactName }) {
    const id = newId('c');
    contacts.set(id, { id, name: newContactName, phone: phoneNumber });
    return { contactInfo: { id, name: newContactName, type: 'Contact' }, returnMessage: success('Contact created.') };
}

function getLogFormatType() {
    return 'text/plain';
}

async function createCallLog({ contactInfo, callLog, composedLogDetails }) {
    if (!contacts.has(contactInfo.id)) {
        throw notFound(`Contact ${contactInfo.id}`);
    }
    const id = newId('e');
    const direction = callLog.direction || 'Outbound';
    entries.set(id, {
        id,
        contactId: contactInfo.id,
        title: callLog.customSubject || `${direction} Call ${direction === 'Inbound' ? 'from' : 'to'} ${contactInfo.name}`,
        text: composedLogDetails,
        occurredAt: isoTime(callLog.startTime),
        updatedAt: new Date().toISOString(),
    });
    if (BREAK === 'no-id') {
        return { returnMessage: success('Call logged') }; // the id was under entry.id, never read
    }
    return { logId: id, returnMessage: success('Call logged') };
}

async function getCallLog({ callLogId }) {
    const entry = entries.get(callLogId);
    if (!entry) {
        throw notFound(`Entry ${callLogId}`);
    }
    if (BREAK === 'wrong-shape') {
        return { entry: { ...entry }, returnMessage: success('Call log fetched.') };
    }
    const note = /^- (?:Note|Agent notes): (.*)$/m.exec(entry.text || '');
    return {
        callLogInfo: { subject: entry.title, note: note ? note[1] : '', fullBody: entry.text || '', fullLogResponse: { ...entry } },
        returnMessage: success('Call log fetched.'),
    };
}

async function updateCallLog({ existingCallLog, composedLogDetails, note, subject, startTime }) {
    const entry = entries.get(existingCallLog.thirdPartyLogId);
    if (!entry) {
        throw notFound(`Entry ${existingCallLog.thirdPartyLogId}`);
    }
    entry.text = BREAK === 'whole-body' ? `- Note: ${note ?? ''}\n` : composedLogDetails;
    if (subject) {
        entry.title = subject;
    }
    if (BREAK === 'date-overwrite') {
        entry.occurredAt = isoTime(startTime); // now, when the update carries no start time
    }
    entry.updatedAt = new Date().toISOString();
    return { updatedNote: note, returnMessage: success('Call log updated.') };
}

module.exports = {
    getAuthType,
    getBasicAuth,
    getUserInfo,
    findContact,
    createContact,
    getLogFormatType,
    createCallLog,
    getCallLog,
    updateCallLog,
};
