// The label mask of <crowd-semantic-segmentation>: one byte per working pixel (0 = no label,
// i + 1 = labels[i]), drawn without anti-aliasing, kept in tiles so that strokes, undo and redraws
// touch only what changed.
//
// Working resolution: the original size when the image has at most MAX_WORK_PIXELS pixels;
// larger images are painted on a proportionally smaller grid (about 16.7 megapixels) and the
// output PNG is scaled back to the original size by nearest neighbour, so every output pixel is
// still exactly one label colour or transparent.
import { encodeRgbaPng, bytesToBase64 } from "./segmentation-png.js";

export const MAX_WORK_PIXELS = 4096 * 4096;
export const MAX_LABELS = 255;
const TILE = 256;
const COLOR_TOLERANCE = 40;

/** Size of the painting grid for an image of width x height original pixels. */
export function workingSize(width, height) {
  if (width * height <= MAX_WORK_PIXELS) return { width, height };
  const scale = Math.sqrt(MAX_WORK_PIXELS / (width * height));
  return { width: Math.max(1, Math.floor(width * scale)), height: Math.max(1, Math.floor(height * scale)) };
}

/** "#rrggbb" -> the RGBA pixel as a Uint32 in platform byte order (opaque). */
export function pixelOf(hex, alpha = 255) {
  const n = parseInt(hex.slice(1), 16);
  const bytes = new Uint8Array([(n >> 16) & 255, (n >> 8) & 255, n & 255, alpha]);
  return new Uint32Array(bytes.buffer)[0];
}

export class LabelMask {
  constructor(originalWidth, originalHeight) {
    const size = workingSize(originalWidth, originalHeight);
    this.originalWidth = originalWidth;
    this.originalHeight = originalHeight;
    this.width = size.width;
    this.height = size.height;
    this.data = new Uint8Array(this.width * this.height);
    this.tilesX = Math.ceil(this.width / TILE);
    this.tilesY = Math.ceil(this.height / TILE);
    this.canvas = document.createElement("canvas");
    this.canvas.width = this.width;
    this.canvas.height = this.height;
    this.ctx = this.canvas.getContext("2d");
    this.palette = new Uint32Array(256);
    this.dirty = new Set();
    this.operation = null;
    this.painted = false;
    this.tileCounts = [];
  }

  /** Working pixels per original pixel. */
  get scale() {
    return this.width / this.originalWidth;
  }

  /** Colours of values 1..n (value 0 stays transparent). */
  setPalette(colors) {
    this.palette.fill(0);
    colors.slice(0, MAX_LABELS).forEach((color, i) => (this.palette[i + 1] = pixelOf(color)));
    if (this.painted) this.markAllDirty();
  }

  markAllDirty() {
    this.painted = true;
    this.tileCounts = [];
    for (let t = 0; t < this.tilesX * this.tilesY; t++) this.dirty.add(t);
  }

  /** Back to no label anywhere; cheap, since a cleared canvas needs no repainting. */
  clear() {
    this.data.fill(0);
    this.ctx.clearRect(0, 0, this.width, this.height);
    this.dirty.clear();
    this.painted = false;
    this.tileCounts = [];
  }

  // ---- operations and history ------------------------------------------------------------------

  /** Starts recording changes: each tile is copied before its first change. */
  begin() {
    this.operation = new Map();
  }

  /** Ends recording: the changed tiles with their contents before and after, or null. */
  end() {
    const operation = this.operation;
    this.operation = null;
    if (!operation) return null;
    const tiles = [];
    for (const [tile, before] of operation) {
      const after = this.copyTile(tile);
      if (!sameBytes(before, after)) tiles.push({ tile, before, after });
    }
    return tiles.length ? { tiles, bytes: tiles.length * 2 * TILE * TILE } : null;
  }

  /** Puts back the tiles of a recorded change, as they were `before` or `after` it. */
  apply(change, side) {
    for (const entry of change.tiles) this.writeTile(entry.tile, entry[side]);
  }

  tileRect(tile) {
    const x = (tile % this.tilesX) * TILE;
    const y = Math.floor(tile / this.tilesX) * TILE;
    return { x, y, w: Math.min(TILE, this.width - x), h: Math.min(TILE, this.height - y) };
  }

  copyTile(tile) {
    const r = this.tileRect(tile);
    const out = new Uint8Array(r.w * r.h);
    for (let row = 0; row < r.h; row++) {
      const start = (r.y + row) * this.width + r.x;
      out.set(this.data.subarray(start, start + r.w), row * r.w);
    }
    return out;
  }

  writeTile(tile, bytes) {
    const r = this.tileRect(tile);
    for (let row = 0; row < r.h; row++) {
      this.data.set(bytes.subarray(row * r.w, (row + 1) * r.w), (r.y + row) * this.width + r.x);
    }
    this.dirty.add(tile);
    this.tileCounts[tile] = null;
    this.painted = true;
  }

  // Called before pixels in the working rectangle change.
  touch(x0, y0, x1, y1) {
    const tx0 = Math.floor(x0 / TILE);
    const tx1 = Math.floor((x1 - 1) / TILE);
    const ty0 = Math.floor(y0 / TILE);
    const ty1 = Math.floor((y1 - 1) / TILE);
    for (let ty = ty0; ty <= ty1; ty++) {
      for (let tx = tx0; tx <= tx1; tx++) {
        const tile = ty * this.tilesX + tx;
        if (this.operation && !this.operation.has(tile)) this.operation.set(tile, this.copyTile(tile));
        this.dirty.add(tile);
        this.tileCounts[tile] = null;
        this.painted = true;
      }
    }
  }

  /** Gives every pixel of value `from` the value `to` (deleting an instance). */
  replaceValue(from, to) {
    this.touch(0, 0, this.width, this.height);
    for (let i = 0; i < this.data.length; i++) if (this.data[i] === from) this.data[i] = to;
  }

  // ---- painting (working-pixel coordinates; a pixel is covered when its centre is inside) -----

  /** Paints a round-capped stroke from a to b with the given radius. */
  paintStroke(ax, ay, bx, by, radius, value) {
    const r = Math.max(radius, 0.71);
    const x0 = Math.max(0, Math.floor(Math.min(ax, bx) - r));
    const y0 = Math.max(0, Math.floor(Math.min(ay, by) - r));
    const x1 = Math.min(this.width, Math.ceil(Math.max(ax, bx) + r));
    const y1 = Math.min(this.height, Math.ceil(Math.max(ay, by) + r));
    if (x0 >= x1 || y0 >= y1) return;
    this.touch(x0, y0, x1, y1);
    const dx = bx - ax;
    const dy = by - ay;
    const lengthSquared = dx * dx + dy * dy;
    const r2 = r * r;
    for (let y = y0; y < y1; y++) {
      const cy = y + 0.5;
      const row = y * this.width;
      for (let x = x0; x < x1; x++) {
        const cx = x + 0.5;
        let t = lengthSquared ? ((cx - ax) * dx + (cy - ay) * dy) / lengthSquared : 0;
        t = t < 0 ? 0 : t > 1 ? 1 : t;
        const ex = cx - ax - t * dx;
        const ey = cy - ay - t * dy;
        if (ex * ex + ey * ey <= r2) this.data[row + x] = value;
      }
    }
  }

  /** Fills a polygon ([{x, y}] in working pixels) with the even-odd rule. */
  fillPolygon(points, value) {
    const ys = points.map((p) => p.y);
    const y0 = Math.max(0, Math.floor(Math.min(...ys)));
    const y1 = Math.min(this.height, Math.ceil(Math.max(...ys)));
    const xs = points.map((p) => p.x);
    const x0 = Math.max(0, Math.floor(Math.min(...xs)));
    const x1 = Math.min(this.width, Math.ceil(Math.max(...xs)));
    if (x0 >= x1 || y0 >= y1) return;
    this.touch(x0, y0, x1, y1);
    for (let y = y0; y < y1; y++) {
      const cy = y + 0.5;
      const crossings = [];
      for (let i = 0, j = points.length - 1; i < points.length; j = i++) {
        const a = points[j];
        const b = points[i];
        if (a.y <= cy !== b.y <= cy) crossings.push(a.x + ((cy - a.y) * (b.x - a.x)) / (b.y - a.y));
      }
      crossings.sort((a, b) => a - b);
      for (let k = 0; k + 1 < crossings.length; k += 2) {
        const from = Math.max(0, Math.ceil(crossings[k] - 0.5));
        const to = Math.min(this.width, Math.ceil(crossings[k + 1] - 0.5));
        if (to > from) this.data.fill(value, y * this.width + from, y * this.width + to);
      }
    }
  }

  // ---- display and output ---------------------------------------------------------------------

  /** Copies changed tiles to the display canvas. */
  redraw() {
    for (const tile of this.dirty) {
      const r = this.tileRect(tile);
      const image = new ImageData(r.w, r.h);
      const pixels = new Uint32Array(image.data.buffer);
      for (let row = 0; row < r.h; row++) {
        const start = (r.y + row) * this.width + r.x;
        for (let x = 0; x < r.w; x++) pixels[row * r.w + x] = this.palette[this.data[start + x]];
      }
      this.ctx.putImageData(image, r.x, r.y);
    }
    this.dirty.clear();
  }

  /** How many working pixels carry each value. Counted per tile and cached, so after an edit
   * only the changed tiles are counted again. */
  histogram() {
    const total = new Float64Array(256);
    for (let tile = 0; tile < this.tilesX * this.tilesY; tile++) {
      let counts = this.tileCounts[tile];
      if (!counts) {
        counts = this.tileCounts[tile] = new Uint32Array(256);
        const r = this.tileRect(tile);
        const data = this.data;
        for (let row = r.y; row < r.y + r.h; row++) {
          for (let i = row * this.width + r.x, end = i + r.w; i < end; i++) counts[data[i]]++;
        }
      }
      for (let v = 0; v < 256; v++) total[v] += counts[v];
    }
    return total;
  }

  /** The mask as a base64 PNG at the original image size, in label colours. */
  pngBase64() {
    const { width, height, originalWidth, originalHeight } = this;
    const columns = new Uint32Array(originalWidth);
    for (let x = 0; x < originalWidth; x++) columns[x] = Math.floor((x * width) / originalWidth);
    const bytes = encodeRgbaPng(originalWidth, originalHeight, (y, pixels) => {
      const start = Math.floor((y * height) / originalHeight) * width;
      for (let x = 0; x < originalWidth; x++) pixels[x] = this.palette[this.data[start + columns[x]]];
    });
    return bytesToBase64(bytes);
  }

  /** Reads an earlier mask (an ImageBitmap of any size): each pixel gets the value of the colour
   * it carries (`colorValues`: Map "#rrggbb" -> value), the nearest one within a small tolerance,
   * or 0 when transparent or unknown. */
  load(bitmap, colorValues) {
    const canvas = new OffscreenCanvas(this.width, this.height);
    const ctx = canvas.getContext("2d", { willReadFrequently: true });
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(bitmap, 0, 0, this.width, this.height);
    const rgba = ctx.getImageData(0, 0, this.width, this.height).data;
    const known = [...colorValues].map(([hex, value]) => {
      const n = parseInt(hex.slice(1), 16);
      return [(n >> 16) & 255, (n >> 8) & 255, n & 255, value];
    });
    const cache = new Map();
    for (let i = 0, p = 0; i < this.data.length; i++, p += 4) {
      if (rgba[p + 3] < 128) {
        this.data[i] = 0;
        continue;
      }
      const key = (rgba[p] << 16) | (rgba[p + 1] << 8) | rgba[p + 2];
      let value = cache.get(key);
      if (value === undefined) {
        value = nearestValue(known, rgba[p], rgba[p + 1], rgba[p + 2]);
        cache.set(key, value);
      }
      this.data[i] = value;
    }
    this.markAllDirty();
  }
}

function nearestValue(known, r, g, b) {
  let best = 0;
  let bestDistance = Infinity;
  for (const [kr, kg, kb, value] of known) {
    const distance = Math.max(Math.abs(kr - r), Math.abs(kg - g), Math.abs(kb - b));
    if (distance <= COLOR_TOLERANCE && distance < bestDistance) {
      best = value;
      bestDistance = distance;
    }
  }
  return best;
}

function sameBytes(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
