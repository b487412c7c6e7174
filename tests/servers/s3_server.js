#!/usr/bin/env node
// Starts s3rver, an S3-compatible server, on 127.0.0.1 for Veil's tests.
//   node s3_server.js --dir DIR [--port N] [--bucket NAME ...]
//   node s3_server.js --self-test    (checks the signature verifier; exit 0)
// Prints "listening PORT" once it accepts requests (port 0: a free one) and
// runs until killed. Credentials: access key S3RVER, secret key S3RVER.
//
// Every request must carry a valid AWS Signature Version 4, checked by
// sigv4.js: s3rver itself does not verify V4 signatures.
//
// s3rver 3.7 lacks two operations that real S3 (and MinIO, Ceph, R2) have
// and that Veil's tests need to check that a failed upload leaves nothing
// behind: AbortMultipartUpload and ListMultipartUploads. They are added here
// over s3rver's own store (an upload is a folder of parts), behind its
// signature check.
'use strict';
const fs = require('fs');
const path = require('path');
const S3rver = require('s3rver');
const router = require('s3rver/lib/routes');
const sigv4 = require('./sigv4');

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : fallback;
};
const buckets = args.flatMap((a, i) => (a === '--bucket' ? [{ name: args[i + 1] }] : []));
if (args.includes('--self-test')) {
  const ok = sigv4.selfTest();
  console.log(ok ? 'sigv4 self-test passed' : 'sigv4 self-test FAILED');
  process.exit(ok ? 0 : 1);
}
const dir = option('--dir');
if (!dir) {
  console.error('usage: s3_server.js --dir DIR [--port N] [--bucket NAME ...]');
  process.exit(2);
}

function uploadsDir(ctx) {
  return ctx.store.getResourcePath(ctx.params.bucket, undefined, 'uploads');
}

// Registers `handler` for METHOD path ahead of s3rver's own route for the
// same method and path (which answers these queries with an error).
function before(method, routePath, handler) {
  router[method.toLowerCase()](routePath, handler);
  const mine = router.stack.pop();
  const theirs = router.stack.findIndex(
    l => l.path === routePath && l.methods.includes(method.toUpperCase()),
  );
  router.stack.splice(theirs, 0, mine);
}

before('DELETE', '/:bucket/:key+', async (ctx, next) => {
  if (!('uploadId' in ctx.query)) return next();
  const dir = path.join(uploadsDir(ctx), path.basename(String(ctx.query.uploadId)));
  if (!fs.existsSync(dir)) {
    ctx.status = 404;
    ctx.type = 'application/xml';
    ctx.body = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchUpload</Code>' +
      '<Message>The specified upload does not exist.</Message></Error>';
    return;
  }
  fs.rmSync(dir, { recursive: true, force: true });
  ctx.status = 204;
});

before('GET', '/:bucket', async (ctx, next) => {
  if (!('uploads' in ctx.query)) return next();
  const dir = uploadsDir(ctx);
  const ids = fs.existsSync(dir) ? fs.readdirSync(dir) : [];
  const uploads = ids.map(id => ({
    Key: fs.readFileSync(path.join(dir, id, 'key'), 'utf8'),
    UploadId: id,
  }));
  ctx.body = {
    ListMultipartUploadsResult: {
      Bucket: ctx.params.bucket,
      IsTruncated: false,
      ...(uploads.length ? { Upload: uploads } : {}),
    },
  };
});

const server = new S3rver({
  address: '127.0.0.1',
  port: Number(option('--port', '0')),
  directory: dir,
  silent: true,
  configureBuckets: buckets,
});
// Ahead of every s3rver middleware: S3 checks the signature first.
const secrets = { S3RVER: 'S3RVER' };
server.middleware.unshift(async (ctx, next) => {
  const error = sigv4.verify({ method: ctx.method, url: ctx.originalUrl, headers: ctx.headers }, secrets);
  if (!error) return next();
  ctx.status = 403;
  ctx.type = 'application/xml';
  ctx.body = '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${error.code}</Code><Message>${error.message}</Message></Error>`;
});
server.run((err, { port } = {}) => {
  if (err) {
    console.error(err);
    process.exit(1);
  }
  console.log(`listening ${port}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
