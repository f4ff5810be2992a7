// Draws Mai's tray icons: a chat bubble, plus a badge per state, for light and dark panels, at
// 16 px and 32 px (`@2x`, which nativeImage picks on HiDPI screens). Pure math and node:zlib, no
// dependencies, so the same pixels come out on every machine.
//
//   node build/icons/generate-tray-icons.mjs           writes build/icons/tray/*.png
//   node build/icons/generate-tray-icons.mjs --check   exits 1 when a committed icon's pixels differ
//
// States (tray-model.ts): steady = the bubble alone; pressure = an amber dot; degraded = an orange
// down-pointing triangle; down = the bubble faded and a red "no entry" badge. Each state
// differs by shape as well as colour, so it reads without colour vision and in monochrome panels.
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync, inflateSync } from 'node:zlib';

export const TRAY_STATES = ['steady', 'pressure', 'degraded', 'down'];
export const TRAY_THEMES = ['light', 'dark'];
/** Base size in px; `@2x` files are twice this. */
export const TRAY_BASE_SIZE = 16;

export const trayIconDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'tray');

/** `tray-<state>-<theme>.png`, or `…@2x.png` for scale 2 (Electron's HiDPI naming). */
export function trayIconFileName(state, theme, scale = 1) {
  return `tray-${state}-${theme}${scale === 2 ? '@2x' : ''}.png`;
}

// --- colours (straight RGB, 0–255) -------------------------------------------------------------

/** "light" = a light panel (dark glyph); "dark" = a dark panel (light glyph). */
const palette = {
  light: { glyph: [0x1f, 0x23, 0x28], amber: [0xc7, 0x7c, 0x02], orange: [0xd3, 0x54, 0x00], red: [0xc6, 0x28, 0x28], mark: [0xff, 0xff, 0xff] },
  dark: { glyph: [0xf2, 0xf4, 0xf7], amber: [0xff, 0xc1, 0x07], orange: [0xff, 0x8a, 0x3d], red: [0xff, 0x52, 0x52], mark: [0xff, 0xff, 0xff] },
};

// --- signed distance functions in a 16-unit square (negative inside) ---------------------------

const length = (x, y) => Math.hypot(x, y);

function roundedRect(px, py, x0, y0, x1, y1, r) {
  const cx = (x0 + x1) / 2;
  const cy = (y0 + y1) / 2;
  const hx = (x1 - x0) / 2 - r;
  const hy = (y1 - y0) / 2 - r;
  const qx = Math.abs(px - cx) - hx;
  const qy = Math.abs(py - cy) - hy;
  return length(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - r;
}

const circle = (px, py, cx, cy, r) => length(px - cx, py - cy) - r;

/** Distance to a convex polygon given counter-clockwise or clockwise; negative inside. */
function polygon(px, py, points) {
  let inside = true;
  let best = Infinity;
  let sign = 0;
  for (let i = 0; i < points.length; i += 1) {
    const [ax, ay] = points[i];
    const [bx, by] = points[(i + 1) % points.length];
    const ex = bx - ax;
    const ey = by - ay;
    const wx = px - ax;
    const wy = py - ay;
    const t = Math.max(0, Math.min(1, (wx * ex + wy * ey) / (ex * ex + ey * ey)));
    best = Math.min(best, length(wx - ex * t, wy - ey * t));
    const cross = Math.sign(ex * wy - ey * wx);
    if (cross !== 0) {
      if (sign === 0) sign = cross;
      else if (cross !== sign) inside = false;
    }
  }
  return inside ? -best : best;
}

function capsule(px, py, ax, ay, bx, by, r) {
  const ex = bx - ax;
  const ey = by - ay;
  const t = Math.max(0, Math.min(1, ((px - ax) * ex + (py - ay) * ey) / (ex * ex + ey * ey)));
  return length(px - ax - ex * t, py - ay - ey * t) - r;
}

// --- the drawing ---------------------------------------------------------------------------------

const BADGE = { x: 12, y: 12, r: 3.6, gap: 1.1 };

/** The bubble: a rounded body with a tail at the lower left and three "typing" dots cut out. */
function bubble(px, py) {
  const body = roundedRect(px, py, 0.75, 1.5, 15.25, 11.5, 3);
  const tail = polygon(px, py, [
    [2.6, 10.5],
    [6.6, 10.5],
    [2.4, 14.6],
  ]);
  const shape = Math.min(body, tail);
  const dots = Math.min(circle(px, py, 4.6, 6.5, 1.15), circle(px, py, 8, 6.5, 1.15), circle(px, py, 11.4, 6.5, 1.15));
  return Math.max(shape, -dots);
}

/** Layers, bottom first: [sdf, rgb, alpha]. */
function layers(state, theme) {
  const c = palette[theme];
  const badgeCut = (px, py) => -circle(px, py, BADGE.x, BADGE.y, BADGE.r + BADGE.gap);
  const withBadge = state !== 'steady';
  const glyph = (px, py) => (withBadge ? Math.max(bubble(px, py), badgeCut(px, py)) : bubble(px, py));
  const out = [[glyph, c.glyph, state === 'down' ? 0.45 : 1]];
  if (state === 'pressure') out.push([(px, py) => circle(px, py, BADGE.x, BADGE.y, BADGE.r), c.amber, 1]);
  if (state === 'degraded') {
    const { x, y, r } = BADGE;
    out.push([
      (px, py) =>
        polygon(px, py, [
          [x - r, y - r * 0.72],
          [x + r, y - r * 0.72],
          [x, y + r * 0.95],
        ]),
      c.orange,
      1,
    ]);
  }
  if (state === 'down') {
    // A "no entry" sign: it stays legible at 16 px, where a cross turns into a blob.
    const { x, y, r } = BADGE;
    const arm = r * 0.52;
    out.push([(px, py) => circle(px, py, x, y, r), c.red, 1]);
    out.push([(px, py) => capsule(px, py, x - arm, y, x + arm, y, 0.62), c.mark, 1]);
  }
  return out;
}

/** RGBA pixels (straight alpha), row-major, `size` × `size`. 6×6 supersampling per pixel. */
export function drawTrayIcon(state, theme, size) {
  if (!TRAY_STATES.includes(state)) throw new Error(`unknown tray state ${state}`);
  if (!TRAY_THEMES.includes(theme)) throw new Error(`unknown theme ${theme}`);
  const scale = size / TRAY_BASE_SIZE;
  const n = 6;
  const stack = layers(state, theme);
  const pixels = new Uint8Array(size * size * 4);
  for (let y = 0; y < size; y += 1) {
    for (let x = 0; x < size; x += 1) {
      // Premultiplied accumulation of "over" compositing, averaged over the sub-samples.
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      for (let sy = 0; sy < n; sy += 1) {
        for (let sx = 0; sx < n; sx += 1) {
          const px = (x + (sx + 0.5) / n) / scale;
          const py = (y + (sy + 0.5) / n) / scale;
          let cr = 0;
          let cg = 0;
          let cb = 0;
          let ca = 0;
          for (const [sdf, rgb, alpha] of stack) {
            if (sdf(px, py) > 0) continue;
            cr = rgb[0] * alpha + cr * (1 - alpha);
            cg = rgb[1] * alpha + cg * (1 - alpha);
            cb = rgb[2] * alpha + cb * (1 - alpha);
            ca = alpha + ca * (1 - alpha);
          }
          r += cr;
          g += cg;
          b += cb;
          a += ca;
        }
      }
      const samples = n * n;
      const alpha = a / samples;
      const i = (y * size + x) * 4;
      pixels[i + 3] = Math.round(alpha * 255);
      if (alpha > 0) {
        pixels[i] = Math.round(r / samples / alpha);
        pixels[i + 1] = Math.round(g / samples / alpha);
        pixels[i + 2] = Math.round(b / samples / alpha);
      }
    }
  }
  return pixels;
}

// --- PNG -----------------------------------------------------------------------------------------

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k += 1) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes) {
  let c = 0xffffffff;
  for (const byte of bytes) c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'ascii');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** An 8-bit RGBA PNG, no interlace, filter 0 on every row. */
export function encodePng(width, height, rgba) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // colour type RGBA
  ihdr[10] = 0; // compression
  ihdr[11] = 0; // filter
  ihdr[12] = 0; // interlace
  const raw = Buffer.alloc(height * (1 + width * 4));
  for (let y = 0; y < height; y += 1) {
    raw[y * (1 + width * 4)] = 0;
    Buffer.from(rgba.buffer, rgba.byteOffset + y * width * 4, width * 4).copy(raw, y * (1 + width * 4) + 1);
  }
  return Buffer.concat([PNG_SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

/**
 * Reads back what encodePng writes (and checks it): width, height and RGBA pixels. Throws with a
 * sentence on anything else (bad signature, CRC, colour type, filter).
 */
export function decodePng(bytes) {
  const buf = Buffer.from(bytes);
  if (buf.length < 8 || !buf.subarray(0, 8).equals(PNG_SIGNATURE)) throw new Error('not a PNG: bad signature');
  let offset = 8;
  let header = null;
  const idat = [];
  let ended = false;
  while (offset + 12 <= buf.length) {
    const len = buf.readUInt32BE(offset);
    const type = buf.toString('ascii', offset + 4, offset + 8);
    if (offset + 12 + len > buf.length) throw new Error(`truncated ${type} chunk`);
    const data = buf.subarray(offset + 8, offset + 8 + len);
    if (crc32(buf.subarray(offset + 4, offset + 8 + len)) !== buf.readUInt32BE(offset + 8 + len)) throw new Error(`bad CRC in ${type}`);
    if (type === 'IHDR') {
      if (offset !== 8) throw new Error('IHDR is not the first chunk');
      header = { width: data.readUInt32BE(0), height: data.readUInt32BE(4), bitDepth: data[8], colorType: data[9], interlace: data[12] };
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') {
      ended = true;
      break;
    }
    offset += 12 + len;
  }
  if (!header) throw new Error('no IHDR chunk');
  if (!ended) throw new Error('no IEND chunk');
  const { width, height, bitDepth, colorType, interlace } = header;
  if (bitDepth !== 8 || colorType !== 6 || interlace !== 0)
    throw new Error(`unsupported PNG (depth ${bitDepth}, colour type ${colorType}, interlace ${interlace})`);
  const raw = inflateSync(Buffer.concat(idat));
  const stride = 1 + width * 4;
  if (raw.length !== height * stride) throw new Error('pixel data has the wrong length');
  const pixels = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y += 1) {
    if (raw[y * stride] !== 0) throw new Error(`row ${y} uses filter ${raw[y * stride]}, only 0 is written here`);
    raw.copy(pixels, y * width * 4, y * stride + 1, (y + 1) * stride);
  }
  return { width, height, pixels };
}

/** Every icon as [fileName, png bytes, size]. */
export function renderTrayIcons() {
  const out = [];
  for (const state of TRAY_STATES) {
    for (const theme of TRAY_THEMES) {
      for (const scale of [1, 2]) {
        const size = TRAY_BASE_SIZE * scale;
        out.push([trayIconFileName(state, theme, scale), encodePng(size, size, drawTrayIcon(state, theme, size)), size]);
      }
    }
  }
  return out;
}

/** Names of committed icons whose pixels differ from what this script draws (or that are missing). */
export function staleTrayIcons(dir = trayIconDir) {
  const stale = [];
  for (const [name, png] of renderTrayIcons()) {
    const file = path.join(dir, name);
    if (!existsSync(file)) {
      stale.push(name);
      continue;
    }
    try {
      const want = decodePng(png);
      const have = decodePng(readFileSync(file));
      if (have.width !== want.width || have.height !== want.height || !Buffer.from(have.pixels).equals(Buffer.from(want.pixels))) stale.push(name);
    } catch {
      stale.push(name);
    }
  }
  return stale;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--check')) {
    const stale = staleTrayIcons();
    if (stale.length > 0) {
      console.error(`Out of date: ${stale.join(', ')}. Run node build/icons/generate-tray-icons.mjs.`);
      process.exit(1);
    }
    console.log('tray icons are up to date');
  } else {
    mkdirSync(trayIconDir, { recursive: true });
    for (const [name, png] of renderTrayIcons()) writeFileSync(path.join(trayIconDir, name), png);
    console.log(`wrote ${TRAY_STATES.length * TRAY_THEMES.length * 2} icons to ${path.relative(process.cwd(), trayIconDir) || '.'}`);
  }
}
