// Drives the review page in real Chromium (Debian's, through playwright-core
// from tests/servers) as a person would: step to a frame, exclude a track by
// clicking its box, draw a missed object on two frames, save. Run by
// review_server_test.cpp, which checks the saved sidecar and the render.
//
//   node review_page_test.js '{"url": ..., "frame": K, "click": [x, y], "track": T,
//                              "boxes": [[x, y, w, h], [x, y, w, h]], "step": S, "screenshot": "path.png"}'
// Coordinates are video pixels. Exits 0 when every step behaved.
'use strict';
const http = require('http');
const { chromium } = require('playwright-core');

const args = JSON.parse(process.argv[2]);

function fail(message) {
  console.error('review page test: ' + message);
  process.exit(1);
}

function status(url, headers = {}) {
  return new Promise((resolve, reject) => {
    http.get(url, { headers }, (res) => { res.resume(); resolve(res.statusCode); }).on('error', reject);
  });
}

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
           '--disable-component-update', '--disable-sync'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(args.url);
    const loaded = (i) => page.waitForSelector(`#frame[data-loaded="${i}"]`, { timeout: 20000 });
    await loaded(0);

    // Step to the frame with the keyboard.
    for (let i = 0; i < args.frame; i++) await page.keyboard.press('ArrowRight');
    await loaded(args.frame);
    if (await page.inputValue('#frame-number') !== String(args.frame)) fail('frame number not shown');

    // Video pixels -> page pixels on the overlay.
    const at = async ([x, y]) => {
      const box = await page.locator('#overlay').boundingBox();
      const s = box.width / (await page.evaluate(() => state.info.width));
      return [box.x + x * s, box.y + y * s];
    };

    // Click the track's box, exclude it.
    const [cx, cy] = await at(args.click);
    await page.mouse.click(cx, cy);
    const selection = await page.textContent('#selection');
    if (!selection.includes('#' + args.track)) fail('clicking the box did not select track ' + args.track + ': ' + selection);
    // One object, one track: the row names both face models, and no other track.
    if (!selection.includes('retinaface-face, yunet-face')) fail('the selection does not name the models that found it: ' + selection);
    if ((selection.match(/#\d+/g) || []).length !== 1) fail('more than one track selected: ' + selection);
    await page.keyboard.press('x');
    await page.waitForSelector('#status.dirty');
    if ((await page.textContent('#toggle-exclude')) !== 'Include') fail('the track is not shown as excluded');

    // Draw a missed object here and `step` frames later: one manual track.
    const draw = async ([x, y, w, h]) => {
      await page.click('#draw');
      const [x0, y0] = await at([x, y]);
      const [x1, y1] = await at([x + w, y + h]);
      await page.mouse.move(x0, y0);
      await page.mouse.down();
      await page.mouse.move(x1, y1, { steps: 5 });
      await page.mouse.up();
    };
    await draw(args.boxes[0]);
    for (let i = 0; i < args.step; i++) await page.keyboard.press('ArrowRight');
    await loaded(args.frame + args.step);
    await draw(args.boxes[1]);
    const keyframes = await page.evaluate(() => [...state.tracks.values()].filter((t) => t.manual).map((t) => t.keyframes.size));
    if (JSON.stringify(keyframes) !== '[2]') fail('expected one manual track with 2 keyframes, got ' + JSON.stringify(keyframes));

    // Halfway: the interpolated box is drawn; the preview comes from the server.
    for (let i = 0; i < args.step / 2; i++) await page.keyboard.press('ArrowLeft');
    const middle = args.frame + Math.ceil(args.step / 2);
    await loaded(middle);
    if (args.screenshot) await page.screenshot({ path: args.screenshot });
    await page.keyboard.press('r');
    await loaded(middle);
    const src = await page.getAttribute('#frame', 'src');
    if (!src.startsWith('/api/preview/' + middle)) fail('preview not shown: ' + src);

    // Save with the keyboard.
    await page.keyboard.press('Control+s');
    await page.waitForFunction(() => document.getElementById('status').textContent.startsWith('saved '), null, { timeout: 20000 });
    if (errors.length) fail('errors on the page: ' + errors.join('; '));

    // Without the token, or with another Host: 403, in the browser and outside it.
    const bare = args.url.replace(/\?token=.*/, '');
    const other = await browser.newPage();
    const response = await other.goto(bare);
    if (response.status() !== 403) fail('a page without the token got ' + response.status());
    if (await status(bare + 'api/sidecar') !== 403) fail('the sidecar without the token was not refused');
    const port = new URL(args.url).port;
    if (await status(args.url.replace('/?', '/api/info?'), { Host: 'rebound.example:' + port }) !== 403) {
      fail('a foreign Host header was not refused');
    }
    if (await status(args.url.replace('/?', '/api/info?')) !== 200) fail('the token was refused');
  } finally {
    await browser.close();
  }
}

main().then(() => process.exit(0), (e) => fail(e.stack || String(e)));
