#!/usr/bin/env node
// An HTTP proxy for Veil's tests, placed between Veil and the S3 server, that
// injects faults into chosen requests and logs what it served.
//   node fault_proxy.js --target PORT --log FILE [--faults JSON]
// Prints "listening PORT" (a free port on 127.0.0.1). FILE gets one JSON
// line per request: {"method", "url", "status", "bytes" (response body bytes
// sent), "range", "fault"}, written before the answer is sent: a client that
// has its answer finds the request in the log.
// JSON is a list of rules, tried in order; the first that matches and has
// faults left applies:
//   {"method": "PUT", "url": "partNumber=2", "skip": 0, "times": 1,
//    "action": "503" | "slowdown" | "reset" | "truncate"}
// "url" is a substring of the request's path and query; "skip" lets that
// many matching requests through first; "times" faults that many (-1: all).
//   503       answers 503 ServiceUnavailable
//   slowdown  answers 503 SlowDown (S3's throttling)
//   reset     closes the connection without an answer
//   truncate  forwards the answer's headers and half its body, then closes
//   hang      never answers (logged when the request has arrived)
//   region:R  answers 301 PermanentRedirect naming region R, as S3 does for
//             a bucket in another region
'use strict';
const fs = require('fs');
const http = require('http');

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const target = Number(option('--target'));
const logFile = option('--log');
const rules = JSON.parse(option('--faults', '[]')).map(r => ({ skip: 0, times: 1, ...r, seen: 0, done: 0 }));
if (!target || !logFile) {
  console.error('usage: fault_proxy.js --target PORT --log FILE [--faults JSON]');
  process.exit(2);
}

function pickFault(req) {
  for (const rule of rules) {
    if (rule.method && rule.method !== req.method) continue;
    if (rule.url && !req.url.includes(rule.url)) continue;
    rule.seen++;
    if (rule.seen <= rule.skip) continue;
    if (rule.times >= 0 && rule.done >= rule.times) continue;
    rule.done++;
    return rule.action;
  }
  return null;
}

function log(req, status, bytes, fault) {
  const line = { method: req.method, url: req.url, status, bytes, range: req.headers.range || null, fault };
  fs.appendFileSync(logFile, JSON.stringify(line) + '\n');
}

function s3Error(req, res, code, message, fault) {
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`;
  log(req, 503, Buffer.byteLength(body), fault);
  res.writeHead(503, { 'Content-Type': 'application/xml', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

const server = http.createServer((req, res) => {
  const fault = pickFault(req);
  // Read the whole request first, as a server would before it fails.
  const chunks = [];
  req.on('data', c => chunks.push(c));
  req.on('end', () => {
    if (fault === 'hang') {
      log(req, 0, 0, fault);
      return;
    }
    if (fault && fault.startsWith('region:')) {
      const region = fault.slice('region:'.length);
      const body = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>PermanentRedirect</Code>' +
        '<Message>The bucket you are attempting to access must be addressed using the specified endpoint.</Message>' +
        `<Region>${region}</Region></Error>`;
      log(req, 301, Buffer.byteLength(body), fault);
      res.writeHead(301, { 'Content-Type': 'application/xml', 'x-amz-bucket-region': region,
        'Content-Length': Buffer.byteLength(body) });
      res.end(body);
      return;
    }
    if (fault === 'reset') {
      log(req, 0, 0, fault);
      req.socket.destroy();
      return;
    }
    if (fault === '503') {
      s3Error(req, res, 'ServiceUnavailable', 'Service is unable to handle request.', fault);
      return;
    }
    if (fault === 'slowdown') {
      s3Error(req, res, 'SlowDown', 'Please reduce your request rate.', fault);
      return;
    }
    const upstream = http.request(
      { host: '127.0.0.1', port: target, method: req.method, path: req.url, headers: req.headers },
      up => {
        const body = [];
        up.on('data', c => body.push(c));
        up.on('end', () => {
          const data = Buffer.concat(body);
          if (fault === 'truncate' && data.length > 1) {
            res.writeHead(up.statusCode, up.headers);
            const half = data.subarray(0, data.length >> 1);
            res.write(half, () => {
              log(req, up.statusCode, half.length, fault);
              res.socket.destroy();
            });
            return;
          }
          log(req, up.statusCode, data.length, null);
          res.writeHead(up.statusCode, up.headers);
          res.end(data);
        });
      },
    );
    upstream.on('error', err => {
      log(req, 502, 0, 'upstream: ' + err.message);  // before the answer, as everywhere
      res.writeHead(502);
      res.end();
    });
    upstream.end(Buffer.concat(chunks));
  });
});
server.listen(0, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
process.on('SIGTERM', () => process.exit(0));
