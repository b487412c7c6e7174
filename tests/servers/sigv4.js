// Checks AWS Signature Version 4 on requests to the test S3 server, as S3
// does: s3rver 3.7 parses the Authorization header but does not verify V4
// signatures ("unimplemented"), so a wrong secret key would pass unnoticed.
// Written from AWS's specification ("Signature Version 4 signing process",
// "Authenticating Requests: Using the Authorization Header"); selfTest()
// checks it against AWS's published GET Object example.
'use strict';
const crypto = require('crypto');

const sha256 = data => crypto.createHash('sha256').update(data).digest('hex');
const hmac = (key, data) => crypto.createHmac('sha256', key).update(data).digest();

// AWS's URI encoding: every byte but A-Z a-z 0-9 - _ . ~ escaped, '/' kept
// in paths.
function uriEncode(text, keepSlash) {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-_.~]/.test(c) || (keepSlash && c === '/')) out += c;
    else out += '%' + byte.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

function canonicalQuery(rawQuery) {
  if (!rawQuery) return '';
  return rawQuery
    .split('&')
    .filter(p => p.length)
    .map(p => {
      const eq = p.indexOf('=');
      const k = decodeURIComponent((eq < 0 ? p : p.slice(0, eq)).replace(/\+/g, ' '));
      const v = eq < 0 ? '' : decodeURIComponent(p.slice(eq + 1).replace(/\+/g, ' '));
      return [uriEncode(k, false), uriEncode(v, false)];
    })
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

// `request`: { method, url (path and query as sent), headers (lowercase
// names) }. Returns null when the signature is right, else an S3 error
// { code, message }.
function verify(request, secrets) {
  const auth = request.headers['authorization'];
  if (!auth) return { code: 'AccessDenied', message: 'Anonymous access is not allowed' };
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([^,]+), ?Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) return { code: 'AuthorizationHeaderMalformed', message: 'The authorization header is malformed' };
  const [, keyId, date, region, service, signedHeaders, signature] = m;
  const secret = secrets[keyId];
  if (secret === undefined) {
    return { code: 'InvalidAccessKeyId', message: 'The AWS Access Key Id you provided does not exist in our records.' };
  }
  const amzDate = request.headers['x-amz-date'];
  if (!amzDate || amzDate.slice(0, 8) !== date) {
    return { code: 'AccessDenied', message: 'x-amz-date is missing or does not match the credential scope' };
  }
  const names = signedHeaders.split(';');
  for (const required of ['host', 'x-amz-content-sha256', 'x-amz-date']) {
    if (!names.includes(required)) {
      return { code: 'AccessDenied', message: `${required} must be a signed header` };
    }
  }
  const q = request.url.indexOf('?');
  const rawPath = q < 0 ? request.url : request.url.slice(0, q);
  const rawQuery = q < 0 ? '' : request.url.slice(q + 1);
  const path = uriEncode(decodeURIComponent(rawPath), true);
  const headers = names
    .map(n => `${n}:${String(request.headers[n] ?? '').trim().replace(/\s+/g, ' ')}\n`)
    .join('');
  const canonical = [
    request.method, path, canonicalQuery(rawQuery), headers, signedHeaders,
    request.headers['x-amz-content-sha256'],
  ].join('\n');
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n');
  const key = hmac(hmac(hmac(hmac('AWS4' + secret, date), region), service), 'aws4_request');
  const expected = crypto.createHmac('sha256', key).update(stringToSign).digest('hex');
  if (expected !== signature) {
    return {
      code: 'SignatureDoesNotMatch',
      message: 'The request signature we calculated does not match the signature you provided. ' +
        'Check your key and signing method.',
    };
  }
  return null;
}

// AWS's example: GET Object, first 10 bytes of test.txt in examplebucket
// ("Examples: Signature Calculations in AWS Signature Version 4").
function selfTest() {
  const request = {
    method: 'GET',
    url: '/test.txt',
    headers: {
      host: 'examplebucket.s3.amazonaws.com',
      range: 'bytes=0-9',
      'x-amz-content-sha256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      'x-amz-date': '20130524T000000Z',
      authorization: 'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,' +
        'SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,' +
        'Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    },
  };
  const secrets = { AKIAIOSFODNN7EXAMPLE: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
  const good = verify(request, secrets);
  const bad = verify(request, { AKIAIOSFODNN7EXAMPLE: 'wrong' });
  return good === null && bad !== null && bad.code === 'SignatureDoesNotMatch';
}

module.exports = { verify, selfTest, uriEncode };
