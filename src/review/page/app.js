// Veil review page: shows each frame (decoded by Veil) with the sidecar's
// objects over it, and edits the sidecar as docs/sidecar.schema.json says:
// "excluded" on track lines, manual keyframes ("source": "manual"). The
// server checks every edit (PUT /api/sidecar), renders the preview with
// render's own code, and saves.
'use strict';

const COLORS = { face: '#ffb000', plate: '#00d0ff', manual: '#ff40ff', excluded: '#9a9a9a', context: '#7fdf7f' };
const $ = (id) => document.getElementById(id);

const state = {
  info: null,
  lines: [],            // this input's sidecar lines, as the server sent them
  header: null,         // the provenance header line (null in sidecars made before Veil wrote one)
  frames: new Map(),    // frame index -> frame line
  trackLines: new Map(),// track id -> track line ({"track", "excluded"})
  tracks: new Map(),    // track id -> {id, cls, first, last, manual, keyframes: Map(index -> box), models: Set}
  objectFrames: [],     // sorted indices of frames with at least one object
  index: 0,
  // {tracks: [ids]}: a detector's track of one object (in sidecars made
  // before models' boxes were fused, each model's tracks on it), or one
  // manual track; or {frame, i}: one object without a track.
  selected: null,
  drawing: false,
  drag: null,           // {x0, y0, x1, y1} in video pixels while drawing
  dirty: false,
  version: 0,           // bumped on every edit, so that previews are not cached
  pending: Promise.resolve(),
};

async function api(path, options = {}) {
  const r = await fetch(path, { credentials: 'same-origin', ...options });
  if (!r.ok) {
    let message = r.statusText;
    try { message = (await r.json()).error; } catch (e) { /* not JSON */ }
    throw new Error(message);
  }
  return r;
}

function setStatus(text, kind = '') {
  $('status').textContent = text;
  $('status').className = kind;
}

// --- The sidecar as the page sees it -------------------------------------

function reindex() {
  state.frames = new Map();
  state.trackLines = new Map();
  state.tracks = new Map();
  state.header = null;
  for (const line of state.lines) {
    if (line.veil !== undefined) state.header = line;
    else if (Array.isArray(line.detections)) state.frames.set(line.index, line);
    else if (line.track !== undefined) state.trackLines.set(line.track, line);
  }
  const withObjects = [];
  for (const [index, line] of state.frames) {
    if (line.detections.length) withObjects.push(index);
    for (const d of line.detections) {
      if (d.track === undefined) continue;
      let t = state.tracks.get(d.track);
      if (!t) {
        t = { id: d.track, cls: d.class, first: index, last: index, manual: false, keyframes: new Map(), models: new Set() };
        state.tracks.set(d.track, t);
      }
      for (const m of modelsOf(d)) t.models.add(m);
      t.first = Math.min(t.first, index);
      t.last = Math.max(t.last, index);
      if (d.source === 'manual') {
        t.manual = true;
        if (!d.excluded) t.keyframes.set(index, d.box);
      }
    }
  }
  // A manual track covers every frame from its first keyframe to its last.
  for (const t of state.tracks.values()) {
    if (!t.manual) continue;
    for (let i = t.first; i <= t.last; i++) if (state.frames.has(i)) withObjects.push(i);
  }
  state.objectFrames = [...new Set(withObjects)].sort((a, b) => a - b);
}

// The models that found a detector object in its frame.
function modelsOf(d) {
  if (Array.isArray(d.found_by)) return d.found_by.map((m) => m.model);
  return d.model !== undefined && d.source !== 'manual' ? [d.model] : [];
}

function trackExcluded(id) {
  const line = state.trackLines.get(id);
  return !!(line && line.excluded);
}

// A manual track's box at `index`, interpolated between keyframes as
// `veil render` does (SidecarMedia::to_hide), or null outside its keyframes.
function manualBox(track, index) {
  const keys = [...track.keyframes.keys()].sort((a, b) => a - b);
  if (!keys.length || index < keys[0] || index > keys[keys.length - 1]) return null;
  if (track.keyframes.has(index)) return track.keyframes.get(index);
  let k = 0;
  while (keys[k + 1] < index) k++;
  const a = track.keyframes.get(keys[k]);
  const b = track.keyframes.get(keys[k + 1]);
  const t = (index - keys[k]) / (keys[k + 1] - keys[k]);
  return a.map((v, j) => v + t * (b[j] - v));
}

// Everything drawn in frame `index`: {d, box, kind, excluded, ref}.
function objectsAt(index) {
  const out = [];
  const line = state.frames.get(index);
  if (line) {
    line.detections.forEach((d, i) => {
      if (d.source === 'manual') return;
      const excluded = !!d.excluded || (d.track !== undefined && trackExcluded(d.track));
      out.push({ d, box: d.box, kind: 'detector', excluded, ref: d.track !== undefined ? { tracks: [d.track] } : { frame: index, i } });
    });
  }
  for (const t of state.tracks.values()) {
    if (!t.manual) continue;
    const box = manualBox(t, index);
    if (!box) continue;
    const kind = t.keyframes.has(index) ? 'keyframe' : 'interpolated';
    out.push({ d: { class: t.cls, track: t.id, score: 1, source: 'manual' }, box, kind, excluded: trackExcluded(t.id), ref: { tracks: [t.id] } });
  }
  return out;
}

function isSelected(ref) {
  const s = state.selected;
  if (!s) return false;
  if (s.tracks) return !!ref.tracks && ref.tracks.some((id) => s.tracks.includes(id));
  return ref.frame === s.frame && ref.i === s.i;
}

function iou(a, b) {
  const w = Math.min(a[0] + a[2], b[0] + b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[1] + a[3], b[1] + b[3]) - Math.max(a[1], b[1]);
  if (w <= 0 || h <= 0) return 0;
  return (w * h) / (a[2] * a[3] + b[2] * b[3] - w * h);
}

// What clicking `hit` selects: its track (Veil fuses the models' boxes of
// one object into one track). In a sidecar made before that (no header
// line), each model kept its own track of a face: there the other detector
// tracks on the same object in this frame (boxes overlapping by IoU > 0.3)
// are selected with it, so that excluding a person excludes all of them.
function selectionFor(hit) {
  if (!hit.ref.tracks || hit.kind !== 'detector' || state.header) return hit.ref;
  const ids = new Set(hit.ref.tracks);
  for (const o of objectsAt(state.index)) {
    if (o.kind === 'detector' && o.d.track !== undefined && o.d.class === hit.d.class && iou(o.box, hit.box) > 0.3) ids.add(o.d.track);
  }
  return { tracks: [...ids].sort((a, b) => a - b) };
}

// The selected manual track, when the selection is one.
function selectedManualTrack() {
  const s = state.selected;
  if (!s || !s.tracks || s.tracks.length !== 1) return null;
  const t = state.tracks.get(s.tracks[0]);
  return t && t.manual ? t : null;
}

// --- Edits -------------------------------------------------------------------

// Sends the edited lines to the server, which checks them and uses them for
// the preview. Saved only on Save.
function changed() {
  state.dirty = true;
  state.version++;
  reindex();
  const body = JSON.stringify(state.lines);
  state.pending = state.pending.then(() => api('/api/sidecar', { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body }))
    .then(() => { setStatus('unsaved changes', 'dirty'); if ($('preview').checked) showFrame(state.index); })
    .catch((e) => setStatus('edit refused: ' + e.message, 'error'));
  redraw();
}

function toggleExclude() {
  const s = state.selected;
  if (!s) return;
  if (s.tracks) {
    // All excluded: include them all; otherwise exclude them all.
    const exclude = !s.tracks.every(trackExcluded);
    for (const id of s.tracks) {
      let line = state.trackLines.get(id);
      if (!line) {
        line = { file: state.info.file, track: id };
        state.lines.push(line);
        state.trackLines.set(id, line);
      }
      line.excluded = exclude;
    }
  } else {
    const d = state.frames.get(s.frame).detections[s.i];
    if (d.excluded) delete d.excluded; else d.excluded = true;
  }
  changed();
}

function round2(v) { return Math.round(v * 100) / 100; }

// Adds a keyframe at the current frame: to the selected manual track, or to
// a new manual track of the class chosen in the header.
function addKeyframe(box) {
  const line = state.frames.get(state.index);
  if (!line) { setStatus('the sidecar has no line for frame ' + state.index, 'error'); return; }
  let id, cls;
  const selected = selectedManualTrack();
  if (selected) {
    id = selected.id;
    cls = selected.cls;
  } else {
    id = 1 + Math.max(0, ...state.lines.flatMap((l) => (l.detections ? l.detections.map((d) => d.track ?? 0) : [l.track ?? 0])));
    cls = $('new-class').value;
  }
  line.detections = line.detections.filter((d) => !(d.source === 'manual' && d.track === id));
  line.detections.push({ class: cls, score: 1, box: box.map(round2), track: id, source: 'manual' });
  state.selected = { tracks: [id] };
  changed();
}

function deleteKeyframe() {
  const t = selectedManualTrack();
  const line = state.frames.get(state.index);
  if (!t || !line) return;
  const before = line.detections.length;
  line.detections = line.detections.filter((d) => !(d.source === 'manual' && d.track === t.id));
  if (line.detections.length !== before) changed();
}

async function save() {
  setStatus('saving ...');
  try {
    await state.pending;
    const r = await (await api('/api/save', { method: 'POST' })).json();
    state.dirty = false;
    setStatus('saved ' + r.saved + ' (previous version: ' + r.backup + ')');
  } catch (e) {
    setStatus('not saved: ' + e.message, 'error');
  }
}

// --- Drawing -----------------------------------------------------------------

function scale() { return $('overlay').width / state.info.width; }

function drawBox(ctx, box, color, dashed, width, label) {
  const s = scale();
  ctx.strokeStyle = color;
  ctx.lineWidth = width;
  ctx.setLineDash(dashed ? [5, 4] : []);
  ctx.strokeRect(box[0] * s, box[1] * s, box[2] * s, box[3] * s);
  if (label) {
    ctx.setLineDash([]);
    ctx.font = '12px system-ui, sans-serif';
    const w = ctx.measureText(label).width + 6;
    const y = Math.max(0, box[1] * s - 16);
    ctx.fillStyle = 'rgba(0,0,0,0.6)';
    ctx.fillRect(box[0] * s, y, w, 16);
    ctx.fillStyle = color;
    ctx.fillText(label, box[0] * s + 3, y + 12);
  }
}

// The frame as large as the window allows (small videos are enlarged, so
// that small faces can be seen and drawn around).
function fitFrame() {
  const img = $('frame');
  const s = Math.min($('stage').clientWidth / state.info.width, (window.innerHeight * 0.7) / state.info.height);
  img.style.width = Math.floor(state.info.width * s) + 'px';
  img.style.height = Math.floor(state.info.height * s) + 'px';
}

function redraw() {
  fitFrame();
  const img = $('frame');
  const canvas = $('overlay');
  canvas.width = img.clientWidth;
  canvas.height = img.clientHeight;
  const ctx = canvas.getContext('2d');
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  // Scene context (people and vehicles): thin and dotted, under the objects.
  const line = state.frames.get(state.index);
  if ($('show-context').checked && line && Array.isArray(line.context)) {
    for (const c of line.context) {
      drawBox(ctx, c.box, COLORS.context, true, 1, c.class + ' ' + Number(c.score ?? 0).toFixed(2));
    }
  }
  for (const o of objectsAt(state.index)) {
    const color = o.excluded ? COLORS.excluded : o.kind === 'detector' ? COLORS[o.d.class] : COLORS.manual;
    const label = o.d.class + (o.d.track !== undefined ? ' #' + o.d.track : '') +
      (o.kind === 'detector' ? ' ' + Number(o.d.score ?? 0).toFixed(2) : ' manual') + (o.excluded ? ' excluded' : '');
    drawBox(ctx, o.box, color, o.excluded || o.kind === 'interpolated', isSelected(o.ref) ? 3 : 1.5, label);
  }
  if (state.drag) {
    const d = state.drag;
    drawBox(ctx, [Math.min(d.x0, d.x1), Math.min(d.y0, d.y1), Math.abs(d.x1 - d.x0), Math.abs(d.y1 - d.y0)], COLORS.manual, false, 2, '');
  }
  drawTimeline();
  describe();
}

function describe() {
  const s = state.selected;
  const manual = selectedManualTrack();
  $('toggle-exclude').disabled = !s;
  const excluded = s ? (s.tracks ? s.tracks.every(trackExcluded) : !!state.frames.get(s.frame).detections[s.i].excluded) : false;
  $('toggle-exclude').textContent = excluded ? 'Include' : 'Exclude';
  $('delete-keyframe').disabled = !(manual && manual.keyframes.has(state.index));
  $('draw').classList.toggle('active', state.drawing);
  $('overlay').classList.toggle('drawing', state.drawing);
  const sel = $('selection');
  if (!s) {
    sel.innerHTML = '<p class="hint">Click a box or a timeline row to select its track.</p>';
  } else {
    const tracks = s.tracks ? s.tracks.map((id) => state.tracks.get(id)).filter(Boolean) : [];
    const rows = tracks.length
      ? [['tracks', tracks.map((t) => '#' + t.id).join(', ')], ['class', tracks[0].cls],
         ['source', manual ? 'manual (' + manual.keyframes.size + ' keyframes)' : 'detector'],
         ...(manual ? [] : [['found by', [...new Set(tracks.flatMap((t) => [...t.models]))].sort().join(', ') || '?']]),
         ['frames', Math.min(...tracks.map((t) => t.first)) + ' to ' + Math.max(...tracks.map((t) => t.last))],
         ['hidden by render', excluded ? 'no (excluded)' : 'yes']]
      : [['object', 'frame ' + s.frame + ', no track'], ['hidden by render', excluded ? 'no (excluded)' : 'yes']];
    sel.replaceChildren(table(rows));
  }
  const objs = objectsAt(state.index);
  const list = $('objects');
  list.replaceChildren();
  if (objs.length) {
    const tbl = table(objs.map((o) => [o.d.class + (o.d.track !== undefined ? ' #' + o.d.track : ''),
      o.kind === 'detector' ? Number(o.d.score ?? 0).toFixed(2) : o.kind,
      o.kind === 'detector' ? (o.d.predicted ? 'tracked' : modelsOf(o.d).join('+')) : '']));
    [...tbl.rows].forEach((row, k) => {
      const o = objs[k];
      if (o.excluded) row.classList.add('excluded');
      if (isSelected(o.ref)) row.classList.add('selected');
      row.addEventListener('click', () => { state.selected = selectionFor(o); redraw(); });
    });
    list.append(tbl);
  }
}

function table(rows) {
  const tbl = document.createElement('table');
  for (const cells of rows) {
    const tr = tbl.insertRow();
    for (const c of cells) tr.insertCell().textContent = c;
  }
  return tbl;
}

// One row per track, from its first frame to its last; a red line at the
// current frame.
function trackRows() {
  return [...state.tracks.values()].sort((a, b) => a.first - b.first || a.id - b.id);
}

function drawTimeline() {
  const canvas = $('timeline');
  const rows = trackRows();
  const rowHeight = 8;
  canvas.width = canvas.clientWidth;
  canvas.height = Math.max(40, 10 + rows.length * rowHeight);
  const ctx = canvas.getContext('2d');
  const n = Math.max(1, state.info.frames);
  const x = (i) => (i / n) * canvas.width;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  rows.forEach((t, r) => {
    const excluded = trackExcluded(t.id);
    ctx.fillStyle = excluded ? COLORS.excluded : t.manual ? COLORS.manual : COLORS[t.cls];
    ctx.globalAlpha = isSelected({ tracks: [t.id] }) ? 1 : 0.6;
    ctx.fillRect(x(t.first), 5 + r * rowHeight, Math.max(2, x(t.last + 1) - x(t.first)), rowHeight - 2);
  });
  ctx.globalAlpha = 1;
  ctx.fillStyle = '#ff3030';
  ctx.fillRect(x(state.index), 0, 2, canvas.height);
}

// --- Navigation --------------------------------------------------------------

function showFrame(index) {
  index = Math.max(0, Math.min(state.info.frames - 1, index));
  state.index = index;
  state.drag = null;
  $('frame-number').value = index;
  const img = $('frame');
  const preview = $('preview').checked;
  img.dataset.loaded = '';
  img.src = (preview ? '/api/preview/' + index + '?v=' + state.version : '/api/frame/' + index);
  redraw();
}

function stepToObject(direction) {
  const list = state.objectFrames;
  const next = direction > 0 ? list.find((i) => i > state.index) : [...list].reverse().find((i) => i < state.index);
  if (next !== undefined) showFrame(next);
}

// The video pixel under a mouse event on the overlay.
function videoPoint(event) {
  const rect = $('overlay').getBoundingClientRect();
  const s = scale();
  return [(event.clientX - rect.left) / s, (event.clientY - rect.top) / s];
}

function hitTest(x, y) {
  let best = null;
  for (const o of objectsAt(state.index)) {
    const [bx, by, bw, bh] = o.box;
    if (x >= bx && x <= bx + bw && y >= by && y <= by + bh && (!best || bw * bh < best.box[2] * best.box[3])) best = o;
  }
  return best;
}

function setup() {
  const overlay = $('overlay');
  overlay.addEventListener('mousedown', (e) => {
    const [x, y] = videoPoint(e);
    if (state.drawing) {
      state.drag = { x0: x, y0: y, x1: x, y1: y };
      return;
    }
    const hit = hitTest(x, y);
    state.selected = hit ? selectionFor(hit) : null;
    redraw();
  });
  overlay.addEventListener('mousemove', (e) => {
    if (!state.drag) return;
    [state.drag.x1, state.drag.y1] = videoPoint(e);
    redraw();
  });
  window.addEventListener('mouseup', () => {
    if (!state.drag) return;
    const d = state.drag;
    state.drag = null;
    const clamp = (v, hi) => Math.max(0, Math.min(hi, v));
    const x0 = clamp(Math.min(d.x0, d.x1), state.info.width), x1 = clamp(Math.max(d.x0, d.x1), state.info.width);
    const y0 = clamp(Math.min(d.y0, d.y1), state.info.height), y1 = clamp(Math.max(d.y0, d.y1), state.info.height);
    state.drawing = false;
    if (x1 - x0 >= 3 && y1 - y0 >= 3) addKeyframe([x0, y0, x1 - x0, y1 - y0]);
    else redraw();
  });
  $('timeline').addEventListener('mousedown', (e) => {
    const canvas = $('timeline');
    const rect = canvas.getBoundingClientRect();
    const frame = Math.floor(((e.clientX - rect.left) / rect.width) * state.info.frames);
    const row = Math.floor((e.clientY - rect.top - 5) / 8);
    const t = trackRows()[row];
    if (t) {
      state.selected = { tracks: [t.id] };
      showFrame(Math.max(t.first, Math.min(t.last, frame)));
    } else {
      showFrame(frame);
    }
  });
  $('frame').addEventListener('load', () => { $('frame').dataset.loaded = String(state.index); redraw(); });
  $('frame').addEventListener('error', () => setStatus('frame ' + state.index + ' could not be loaded', 'error'));
  window.addEventListener('resize', redraw);
  $('prev').onclick = () => showFrame(state.index - 1);
  $('next').onclick = () => showFrame(state.index + 1);
  $('prev-detection').onclick = () => stepToObject(-1);
  $('next-detection').onclick = () => stepToObject(1);
  $('frame-number').addEventListener('change', () => showFrame(parseInt($('frame-number').value, 10) || 0));
  $('preview').addEventListener('change', () => showFrame(state.index));
  $('show-context').addEventListener('change', redraw);
  $('toggle-exclude').onclick = toggleExclude;
  $('draw').onclick = () => { state.drawing = !state.drawing; redraw(); };
  $('delete-keyframe').onclick = deleteKeyframe;
  $('save').onclick = save;
  window.addEventListener('keydown', (e) => {
    if (e.target === $('frame-number') && e.key !== 'Escape') return;
    const step = e.shiftKey ? 10 : 1;
    const keys = {
      ArrowRight: () => showFrame(state.index + step),
      ArrowLeft: () => showFrame(state.index - step),
      Home: () => showFrame(0),
      End: () => showFrame(state.info.frames - 1),
      n: () => stepToObject(1),
      p: () => stepToObject(-1),
      x: toggleExclude,
      a: () => { state.drawing = !state.drawing; redraw(); },
      r: () => { $('preview').checked = !$('preview').checked; showFrame(state.index); },
      Delete: deleteKeyframe,
      Backspace: deleteKeyframe,
      Escape: () => { state.drawing = false; state.drag = null; state.selected = null; redraw(); },
    };
    if ((e.ctrlKey || e.metaKey) && e.key === 's') {
      e.preventDefault();
      save();
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey || !keys[e.key]) return;
    e.preventDefault();
    keys[e.key]();
  });
  window.addEventListener('beforeunload', (e) => { if (state.dirty) e.preventDefault(); });
}

async function main() {
  try {
    state.info = await (await api('/api/info')).json();
    state.lines = await (await api('/api/sidecar')).json();
  } catch (e) {
    setStatus('cannot load: ' + e.message, 'error');
    return;
  }
  reindex();
  $('file').textContent = state.info.file + ' (' + state.info.width + 'x' + state.info.height + ')';
  $('frame-count').textContent = String(state.info.frames);
  $('frame-number').max = String(state.info.frames - 1);
  setup();
  showFrame(0);
  const made = state.header ? '; made by Veil ' + state.header.veil + (state.header.written ? ' on ' + state.header.written : '') : '';
  setStatus(state.objectFrames.length + ' frames with objects, ' + state.tracks.size + ' objects (tracks)' + made);
}

main();
