// Runs one independent SSE client against a URL and prints one JSON line per thing that happens,
// so a test can assert the exact sequence. Stops by itself: after --count events, after
// --max-errors errors, or after --timeout milliseconds, whichever comes first; the last line is
// always {"kind":"done",...}.
//
//   node client.mjs --client eventsource|undici|fetch-event-source|parser --url URL
//                   [--count N] [--timeout MS] [--max-errors N] [--last-event-id ID]
//                   [--event-types a,b] [--stop-on-data TEXT] [--no-dom-shim]
//                   [--connections N]   (eventsource, undici: N EventSources; lines carry "conn")
//                   [--next-url URL]    (eventsource: every reconnect goes to this URL instead)
//
// Lines: {"kind":"open"} once per (re)connection; {"kind":"event","type","data","lastEventId"}
// per dispatched event; {"kind":"error","message"} per error the client reports (a reconnect
// follows unless the client gave up); {"kind":"request","lastEventId"} per HTTP request made by
// a fetch-based client, with the Last-Event-ID header it carried (eventsource, fetch-event-source);
// for the parser also {"kind":"comment"}, {"kind":"retry"}, {"kind":"parse-error"},
// {"kind":"lint"}; finally {"kind":"done","reason":"count"|"stop-on-data"|"errors"|"timeout"|"closed"}.
import process from 'node:process';

const args = parseArgs(process.argv.slice(2));
const client = args.client;
const url = args.url;
const count = args.count === undefined ? Infinity : Number(args.count);
const timeout = Number(args.timeout ?? 20000);
const maxErrors = args['max-errors'] === undefined ? Infinity : Number(args['max-errors']);
const eventTypes = (args['event-types'] ?? '').split(',').filter(t => t.length > 0);
const stopOnData = args['stop-on-data'];
const connections = Number(args.connections ?? 1);

let events = 0;
let errors = 0;
let finished = false;
const cleanups = [];

function emit(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

function finish(reason) {
  if (finished) return;
  finished = true;
  for (const c of cleanups) {
    try { c(); } catch (e) { emit({ kind: 'error', message: 'while closing: ' + e }); }
  }
  emit({ kind: 'done', reason, events, errors });
  // Let stdout drain, then leave whatever sockets or timers a client still holds.
  process.stdout.write('', () => process.exit(0));
}

function onEvent(type, data, lastEventId, conn) {
  if (finished) return;
  events++;
  emit(conn === undefined ? { kind: 'event', type, data, lastEventId } : { kind: 'event', type, data, lastEventId, conn });
  if (events >= count) finish('count');
  else if (stopOnData !== undefined && data === stopOnData) finish('stop-on-data');
}

function onError(message, conn) {
  if (finished) return;
  errors++;
  emit(conn === undefined ? { kind: 'error', message: String(message) } : { kind: 'error', message: String(message), conn });
  if (errors >= maxErrors) finish('errors');
}

const timer = setTimeout(() => finish('timeout'), timeout);
cleanups.push(() => clearTimeout(timer));
process.on('uncaughtException', e => { emit({ kind: 'error', message: 'uncaught: ' + (e && e.stack || e) }); finish('crashed'); });
process.on('unhandledRejection', e => { emit({ kind: 'error', message: 'unhandled: ' + (e && e.stack || e) }); finish('crashed'); });

/** A fetch that records the Last-Event-ID header of each request it makes. */
function recordingFetch(input, init) {
  emit({ kind: 'request', lastEventId: headerOf(init?.headers, 'last-event-id') });
  return fetch(input, init);
}

/** A header from a Headers object or a plain one, read without validating it as fetch would. */
function headerOf(headers, name) {
  if (!headers) return null;
  if (typeof headers.get === 'function') return headers.get(name);
  for (const [k, v] of Object.entries(headers)) {
    if (k.toLowerCase() === name) return v;
  }
  return null;
}

switch (client) {
  case 'eventsource': {
    const { EventSource } = await import('eventsource');
    const options = { fetch: recordingFetch };
    if (args['last-event-id'] !== undefined) {
      // The library has no option for a first Last-Event-ID; add it to the first request only.
      let first = true;
      options.fetch = (input, init) => {
        if (first) {
          first = false;
          init = { ...init, headers: { ...init.headers, 'Last-Event-ID': args['last-event-id'] } };
        }
        return recordingFetch(input, init);
      };
    }
    for (let i = 0; i < connections; i++) {
      const own = { ...options };
      if (args['next-url'] !== undefined) {
        // A client-side node list: the first request goes to --url, every later one (a reconnect,
        // carrying the library's Last-Event-ID) to --next-url.
        let requests = 0;
        own.fetch = (input, init) => options.fetch(requests++ === 0 ? input : args['next-url'], init);
      }
      runEventSource(new EventSource(url, own), connections > 1 ? i : undefined);
    }
    break;
  }
  case 'undici': {
    const { EventSource } = await import('undici');
    if (args['last-event-id'] !== undefined) {
      throw new Error('undici EventSource takes no initial Last-Event-ID');
    }
    for (let i = 0; i < connections; i++) runEventSource(new EventSource(url), connections > 1 ? i : undefined);
    break;
  }
  case 'fetch-event-source':
    await runFetchEventSource();
    break;
  case 'parser':
    await runParser();
    break;
  default:
    throw new Error('unknown --client ' + client);
}

function runEventSource(es, conn) {
  cleanups.push(() => es.close());
  const record = e => onEvent(e.type, e.data, e.lastEventId, conn);
  es.onmessage = record;
  for (const t of eventTypes) es.addEventListener(t, record);
  es.onopen = () => { if (!finished) emit(conn === undefined ? { kind: 'open' } : { kind: 'open', conn }); };
  es.onerror = e => {
    const detail = e && (e.message || (e.error && e.error.message) || e.code) || 'error event';
    onError(detail + (es.readyState === 2 ? ' (closed: no more reconnects)' : ''), conn);
    if (es.readyState === 2 && !finished && connections === 1) finish('closed');
  };
}

async function runFetchEventSource() {
  // The library is written for browsers: it calls window.setTimeout/clearTimeout and
  // document.add/removeEventListener. On Node it needs these two globals unless told otherwise.
  if (!args['no-dom-shim']) {
    globalThis.window ??= globalThis;
    globalThis.document ??= { hidden: false, addEventListener() {}, removeEventListener() {} };
  }
  const { fetchEventSource } = await import('@microsoft/fetch-event-source');
  const abort = new AbortController();
  cleanups.push(() => abort.abort());
  const headers = {};
  if (args['last-event-id'] !== undefined) headers['Last-Event-ID'] = args['last-event-id'];
  try {
    await fetchEventSource(url, {
      signal: abort.signal,
      headers,
      openWhenHidden: true,
      fetch: recordingFetch,
      onopen: async res => {
        if (!res.ok || !(res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
          throw new Error('refused: ' + res.status);
        }
        emit({ kind: 'open' });
      },
      onmessage: m => onEvent(m.event || 'message', m.data, m.id),
      // The library does not reconnect when the server ends the stream unless onclose throws.
      onclose: () => { throw new Error('stream ended by the server'); },
      onerror: e => {
        onError(e && e.message || e);
        // Returning nothing retries after the server's retry: interval.
      },
    });
  } catch (e) {
    if (!finished) {
      onError('gave up: ' + (e && e.message || e));
      finish('closed');
    }
  }
}

async function runParser() {
  const { createParser } = await import('eventsource-parser');
  const abort = new AbortController();
  cleanups.push(() => abort.abort());
  const headers = { Accept: 'text/event-stream' };
  if (args['last-event-id'] !== undefined) headers['Last-Event-ID'] = args['last-event-id'];
  let res;
  try {
    res = await recordingFetch(url, { headers, signal: abort.signal });
  } catch (e) {
    onError(e.message);
    finish('closed');
    return;
  }
  emit({ kind: 'open', status: res.status, contentType: res.headers.get('content-type'),
    lastEventIdHeader: res.headers.get('last-event-id') });
  const parser = createParser({
    onEvent: e => onEvent(e.event ?? 'message', e.data, e.id ?? null),
    onRetry: ms => emit({ kind: 'retry', value: ms }),
    onComment: c => emit({ kind: 'comment', value: c }),
    onError: e => emit({ kind: 'parse-error', type: e.type, field: e.field ?? null, value: e.value ?? null, line: e.line ?? null }),
  });
  // Byte-level checks the text-level parser cannot see.
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  let offset = 0;
  let first = true;
  try {
    for await (const chunk of res.body) {
      if (first && chunk.length >= 3 && chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) {
        emit({ kind: 'lint', problem: 'stream starts with a byte order mark' });
      }
      first = false;
      let text;
      try {
        text = utf8.decode(chunk, { stream: true });
      } catch (e) {
        emit({ kind: 'lint', problem: 'invalid UTF-8 near byte ' + offset });
        finish('closed');
        return;
      }
      offset += chunk.length;
      parser.feed(text);
    }
    finish('closed');
  } catch (e) {
    if (!finished) {
      onError(e.message);
      finish('closed');
    }
  }
}

function parseArgs(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error('unexpected argument ' + a);
    const name = a.slice(2);
    if (name.startsWith('no-')) { out[name] = true; continue; }
    out[name] = argv[++i];
  }
  return out;
}
