// DICOM images in the image tools. The server never sends the DICOM file: a signed media URL
// marked `?dicom=1` serves renditions (src/truthset/web/dicom_media.py):
//   &part=info                      size, frames, the file's windows, the raw-to-value mapping
//   &part=display&frame=N           a copy of at most 1280 px a side, 16-bit grey (PNG colour)
//   &part=region&frame=N&x..rh      a crop up to full resolution, for zoomed-in views
// Grey pixels arrive as 16-bit raw values (value = offset + raw * scale, the modality values),
// so the window is applied here, through a 65,536-entry table that mirrors
// src/truthset/dicom/windowing.py (DICOM PS3.3 C.11.2.1.2).

const LEVELS = 65536;

/** True for the media URLs of DICOM objects. */
export function isDicomSource(src) {
  try {
    return new URL(src, location.href).searchParams.get("dicom") === "1";
  } catch (_) {
    return false;
  }
}

function partUrl(src, params) {
  const url = new URL(src, location.href);
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, String(value));
  return url.href;
}

async function fetchOk(url) {
  // "same-origin" as the frame's preload links (crossorigin=anonymous) ask, so they are reused.
  const response = await fetch(url, { mode: "cors", credentials: "same-origin" });
  if (!response.ok) throw new Error((await response.text()) || `the image could not be loaded (${response.status})`);
  return response;
}

/** One DICOM object: its frames' display copies and the worker's window, level and invert. */
export class DicomImage {
  static async open(src) {
    const described = await (await fetchOk(partUrl(src, { part: "info" }))).json();
    const image = new DicomImage(src, described);
    await image.setFrame(0);
    return image;
  }

  constructor(src, described) {
    this.src = src;
    this.info = described.info;
    this.tags = described.tags || {};
    this.displayWidth = described.display.width;
    this.displayHeight = described.display.height;
    this.presets = this.info.windows.map((w) => ({ ...w }));
    if (this.info.voi_lut) this.presets.push({ name: "File LUT", lut: true });
    if (described.auto) this.presets.push({ ...described.auto });
    this.canvas = document.createElement("canvas");
    this.canvas.width = this.displayWidth;
    this.canvas.height = this.displayHeight;
    this.frame = 0;
    this.frames = new Map();
    this.listeners = new Set();
    this.tableKey = "";
    this.table = null;
    this.resetWindow();
  }

  get width() {
    return this.info.width;
  }

  get height() {
    return this.info.height;
  }

  get frameCount() {
    return this.info.frames;
  }

  get color() {
    return this.info.color;
  }

  /** Calls `listener()` after every change of window, invert or frame. */
  onChange(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  changed() {
    this.render();
    for (const listener of this.listeners) listener();
  }

  resetWindow() {
    this.preset = 0;
    this.invert = this.info.invert;
    this.window = this.presets[0] && !this.presets[0].lut ? { ...this.presets[0] } : null;
    this.useLut = Boolean(this.presets[0]?.lut);
  }

  /** The file's default window and invert again. */
  reset() {
    this.resetWindow();
    this.changed();
  }

  applyPreset(index) {
    if (!this.presets.length) return;
    this.preset = ((index % this.presets.length) + this.presets.length) % this.presets.length;
    const preset = this.presets[this.preset];
    this.useLut = Boolean(preset.lut);
    this.window = preset.lut ? null : { centre: preset.centre, width: preset.width, name: preset.name };
    this.changed();
  }

  toggleInvert() {
    this.invert = !this.invert;
    this.changed();
  }

  /** Moves the window: `dWidth` and `dCentre` in steps (one step per screen pixel dragged). */
  adjust(dWidth, dCentre) {
    if (this.color) return;
    const base = this.window || this.presets.find((p) => !p.lut) || { centre: 0, width: 1 };
    const step = Math.max(this.info.scale, (this.presets.find((p) => !p.lut)?.width || base.width) / 256);
    const width = Math.max(this.info.scale, base.width + dWidth * step);
    this.window = { centre: base.centre + dCentre * step, width, name: "Custom" };
    this.useLut = false;
    this.preset = -1;
    this.changed();
  }

  setWindow(centre, width) {
    this.window = { centre, width: Math.max(width, this.info.scale), name: "Custom" };
    this.useLut = false;
    this.preset = -1;
    this.changed();
  }

  async setFrame(index) {
    const frame = Math.max(0, Math.min(this.frameCount - 1, index));
    if (!this.frames.has(frame)) this.frames.set(frame, await this.fetchPixels({ part: "display", frame }, this.displayWidth, this.displayHeight));
    this.frame = frame;
    this.changed();
  }

  async fetchPixels(params, width, height) {
    const response = await fetchOk(partUrl(this.src, params));
    if (this.color) return { bitmap: await createImageBitmap(await response.blob()), width, height };
    const raw = new Uint16Array(await response.arrayBuffer());
    if (raw.length !== width * height) throw new Error("the image rendition has the wrong size");
    return { raw, width, height };
  }

  /** A canvas of the region (sx, sy, sw, sh) of the current frame at rw x rh, windowed. */
  async crop(sx, sy, sw, sh, rw, rh) {
    const frame = this.frame;
    const pixels = await this.fetchPixels({ part: "region", frame, x: sx, y: sy, w: sw, h: sh, rw, rh }, rw, rh);
    const canvas = document.createElement("canvas");
    canvas.width = rw;
    canvas.height = rh;
    canvas.dicomPixels = pixels;
    canvas.dicomFrame = frame;
    this.paint(pixels, canvas);
    return canvas;
  }

  /** Paints the current frame's display copy; returns its canvas. */
  render() {
    const pixels = this.frames.get(this.frame);
    if (pixels) this.paint(pixels, this.canvas);
    return this.canvas;
  }

  /** Repaints a canvas made by crop() under the current window. */
  repaint(canvas) {
    if (canvas.dicomPixels) this.paint(canvas.dicomPixels, canvas);
  }

  paint(pixels, canvas) {
    const ctx = canvas.getContext("2d");
    if (pixels.bitmap) {
      ctx.filter = this.invert ? "invert(1)" : "none";
      ctx.drawImage(pixels.bitmap, 0, 0, canvas.width, canvas.height);
      ctx.filter = "none";
      return;
    }
    const table = this.currentTable();
    const image = ctx.createImageData(pixels.width, pixels.height);
    const out = new Uint32Array(image.data.buffer);
    const raw = pixels.raw;
    for (let i = 0; i < raw.length; i++) out[i] = table[raw[i]];
    ctx.putImageData(image, 0, 0);
  }

  /** raw level -> opaque grey RGBA (as one little-endian 32-bit word). */
  currentTable() {
    const w = this.window;
    const key = `${this.useLut}|${w?.centre}|${w?.width}|${this.invert}`;
    if (key === this.tableKey) return this.table;
    const grey = this.useLut && this.info.voi_lut ? this.lutGrey() : this.windowGrey(w || { centre: 0, width: 1 });
    const table = new Uint32Array(LEVELS);
    for (let r = 0; r < LEVELS; r++) {
      let g = Math.round(Math.min(1, Math.max(0, grey(this.info.offset + r * this.info.scale))) * 255);
      if (this.invert) g = 255 - g;
      table[r] = 0xff000000 | (g << 16) | (g << 8) | g;
    }
    this.tableKey = key;
    this.table = table;
    return table;
  }

  windowGrey({ centre: c, width: w }) {
    switch (this.info.voi_function) {
      case "LINEAR_EXACT":
        return (x) => (x - c) / w + 0.5;
      case "SIGMOID":
        return (x) => 1 / (1 + Math.exp((-4 * (x - c)) / w));
      default:
        return (x) => (x - (c - 0.5)) / Math.max(w - 1, 1e-9) + 0.5;
    }
  }

  lutGrey() {
    const { first, bits, data } = this.info.voi_lut;
    let top = 2 ** bits - 1;
    const largest = data.reduce((a, b) => Math.max(a, b), 0);
    if (largest < top / 2) top = largest || 1;
    return (x) => data[Math.min(data.length - 1, Math.max(0, Math.round(x - first)))] / top;
  }

  /** "W 1800 / L 2600" for the status line. */
  describeWindow() {
    if (this.color) return "";
    if (this.useLut) return "File LUT";
    const w = this.window;
    return w ? `W ${formatNumber(w.width)} / L ${formatNumber(w.centre)}` : "";
  }
}

function formatNumber(value) {
  return Math.abs(value) >= 100 ? String(Math.round(value)) : String(Math.round(value * 100) / 100);
}
