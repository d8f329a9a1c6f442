// <crowd-semantic-segmentation>: paint a label mask over an image with a brush, an eraser and a
// polygon fill, with undo/redo and an opacity control.
// Output (ground-truth.md 4.7, 8.3): {initialValueModified?, inputImageProperties: {height, width},
// labelMappings: {<label>: {color: "#hex"}} (labels that occur in the mask), labeledImage:
// {pngImageData: <base64 RGBA PNG at the original size; each pixel is exactly one label colour,
// or transparent (0, 0, 0, 0) where nothing is labelled>}}.
// initial-value: {labelMappings, src}: an earlier mask, fetched with CORS so it stays readable.
import { labelColor } from "./base.js";
import { ImageAnnotatorElement } from "./image-annotator.js";
import { HIT_RADIUS, drawVertex, withAlpha } from "./image-shapes.js";
import { LabelMask, MAX_LABELS } from "./segmentation-mask.js";

const MIN_BRUSH = 2;
const MAX_BRUSH = 200;
const UNDO_BYTES = 256 * 1024 * 1024;

const OPTIONS_HTML = `
  <label title="Brush diameter in screen pixels ([ and ])">Size
    <input type="range" class="brush-size" min="${MIN_BRUSH}" max="${MAX_BRUSH}" value="24">
    <output class="brush-size-value">24 px</output></label>
  <label title="Opacity of the mask over the image">Opacity
    <input type="range" class="opacity" min="0" max="100" value="60">
    <output class="opacity-value">60%</output></label>`;

export class CrowdSemanticSegmentation extends ImageAnnotatorElement {
  constructor() {
    super();
    this.mask = null;
    this.tool = "brush";
    this.brushSize = 24;
    this.opacity = 0.6;
    this.stroke = null;
    this.draft = null;
    this.initialData = null;
    this.initialMaskError = null;
    this.cached = null;
  }

  get tools() {
    return [
      { id: "brush", title: "Brush", key: "b", icon: "brush" },
      { id: "eraser", title: "Eraser", key: "e", icon: "eraser" },
      { id: "polygon", title: "Polygon fill", key: "p", icon: "polygon" },
    ];
  }

  get selectable() {
    return false;
  }

  get hints() {
    return [
      ["<kbd>B</kbd> <kbd>E</kbd> <kbd>P</kbd>", "tools"],
      ["<kbd>[</kbd> <kbd>]</kbd>", "brush size"],
      ["<kbd>1</kbd>–<kbd>9</kbd>", "label"],
      ["<kbd>Ctrl</kbd>+<kbd>Z</kbd>", "undo"],
    ];
  }

  buildOptions(container) {
    container.innerHTML = OPTIONS_HTML;
    const size = container.querySelector(".brush-size");
    const opacity = container.querySelector(".opacity");
    size.addEventListener("input", () => this.setBrushSize(Number(size.value)));
    opacity.addEventListener("input", () => {
      this.opacity = Number(opacity.value) / 100;
      container.querySelector(".opacity-value").textContent = `${opacity.value}%`;
      this.viewport.requestDraw();
    });
    // Shortcuts are ignored while a control has the focus: hand it back after each change.
    for (const input of [size, opacity]) input.addEventListener("change", () => input.blur());
  }

  setBrushSize(size) {
    this.brushSize = Math.round(Math.min(MAX_BRUSH, Math.max(MIN_BRUSH, size)));
    this.$(".brush-size").value = String(this.brushSize);
    this.$(".brush-size-value").textContent = `${this.brushSize} px`;
    this.viewport.requestDraw();
  }

  setTool(id) {
    if (id !== "polygon") this.draft = null;
    super.setTool(id);
  }

  // ---- state ----------------------------------------------------------------------------------

  readLabels() {
    super.readLabels();
    this.labelsChanged();
  }

  labelsChanged() {
    this.mask?.setPalette(this.maskPalette());
  }

  labelInUse(name) {
    const index = this.labels.indexOf(name);
    return Boolean(this.mask) && index >= 0 && this.mask.data.includes(index + 1);
  }

  async startFromInitialValue() {
    this.mask = new LabelMask(this.photo.width, this.photo.height);
    this.mask.setPalette(this.maskPalette());
    this.initialMaskError = null;
    await super.startFromInitialValue();
    this.initialData = this.hasInitialValue ? this.mask.data.slice() : null;
  }

  emptyState() {
    return { data: null };
  }

  snapshot() {
    return { data: this.mask.data.slice() };
  }

  restore(state) {
    if (state.data) {
      this.mask.data.set(state.data);
      this.mask.markAllDirty();
    } else {
      this.mask.clear();
    }
    this.stroke = null;
    this.draft = null;
  }

  async applyInitialValue(value) {
    if (!value?.src) return;
    const colorValues = new Map();
    for (const [name, mapping] of Object.entries(value.labelMappings || {})) {
      const index = this.labelIndex(name);
      if (mapping?.color && index < MAX_LABELS) colorValues.set(mapping.color.toLowerCase(), index + 1);
    }
    if (!colorValues.size) this.labels.forEach((_, i) => colorValues.set(labelColor(i), i + 1));
    this.mask.setPalette(this.maskPalette());
    await this.loadEarlierMask(value.src, colorValues);
  }

  /** Reads an earlier mask into this one (colorValues: Map "#rrggbb" -> mask value). It is
   * fetched with CORS, so that its pixels can be read. */
  async loadEarlierMask(src, colorValues) {
    try {
      const response = await fetch(src, { mode: "cors" });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const options = { colorSpaceConversion: "none", premultiplyAlpha: "none" };
      const bitmap = await createImageBitmap(await response.blob(), options);
      this.mask.load(bitmap, colorValues);
      bitmap.close();
    } catch (error) {
      this.initialMaskError = String(error?.message || error);
      this.$(".message").innerHTML = `<strong>The earlier mask could not be loaded.</strong>
        <small>Tell the requester; submitting would lose it.</small>`;
    }
  }

  outputValue() {
    if (this.cached?.revision === this.revision) return this.cached.value;
    const counts = this.mask.histogram();
    const labelMappings = {};
    this.labels.forEach((name, i) => {
      if (i < MAX_LABELS && counts[i + 1] > 0) labelMappings[name] = { color: labelColor(i) };
    });
    const value = { labelMappings, labeledImage: { pngImageData: this.mask.pngBase64() } };
    this.cached = { revision: this.revision, value };
    return value;
  }

  signature() {
    return null;
  }

  initialValueModified() {
    const initial = this.initialData;
    const data = this.mask.data;
    if (!initial) return true;
    for (let i = 0; i < data.length; i++) if (data[i] !== initial[i]) return true;
    return false;
  }

  validateAnnotations() {
    if (this.initialMaskError) return "The earlier mask could not be loaded, so it cannot be adjusted.";
    if (this.draft) return "Finish the polygon you are drawing (click its first point or press Enter), or press Esc to discard it.";
    return null;
  }

  // Picking a label while erasing means "paint this now".
  relabelSelection() {
    if (this.tool === "eraser") this.tool = "brush";
    return false;
  }

  labelCounts() {
    if (!this.mask) return null;
    const counts = this.mask.histogram();
    const total = this.mask.data.length;
    return this.labels.map((_, i) => {
      const share = (100 * counts[i + 1]) / total;
      return share === 0 ? "" : share < 1 ? "<1%" : `${Math.round(share)}%`;
    });
  }

  // ---- history: changed tiles instead of snapshots ---------------------------------------------

  recordChange(change) {
    if (!change) return;
    this.undoStack.push(change);
    let bytes = this.undoStack.reduce((sum, entry) => sum + entry.bytes, 0);
    while (bytes > UNDO_BYTES && this.undoStack.length > 1) bytes -= this.undoStack.shift().bytes;
    this.redoStack = [];
    this.edited();
  }

  undo() {
    if (this.draft) return this.removeDraftVertex();
    const change = this.undoStack.pop();
    if (!change) return;
    this.mask.apply(change, "before");
    this.redoStack.push(change);
    this.edited();
  }

  redo() {
    const change = this.redoStack.pop();
    if (!change) return;
    this.mask.apply(change, "after");
    this.undoStack.push(change);
    this.edited();
  }

  // ---- keys -----------------------------------------------------------------------------------

  toolKey(event) {
    const key = event.key;
    const tool = this.tools.find((t) => t.key === key.toLowerCase());
    if (tool && !event.shiftKey) {
      this.setTool(tool.id);
      return true;
    }
    if (key === "[" || key === "]") {
      const factor = key === "]" ? 1.25 : 0.8;
      this.setBrushSize(Math.max(this.brushSize + (key === "]" ? 1 : -1), this.brushSize * factor));
      return true;
    }
    if (key === "Enter" && this.draft) {
      this.closeDraft();
      return true;
    }
    if ((key === "Backspace" || key === "Delete") && this.draft) return this.removeDraftVertex();
    if (key === "Escape" && this.draft) {
      this.draft = null;
      return true;
    }
    return false;
  }

  removeDraftVertex() {
    this.draft.pop();
    if (!this.draft.length) this.draft = null;
    this.viewport.requestDraw();
    return true;
  }

  /** Colours of mask values 1, 2, ...: here the labels' (instance segmentation: instances'). */
  maskPalette() {
    return this.labels.map((_, i) => labelColor(i));
  }

  /** The mask value the brush and the polygon fill paint, and its colour. */
  get brushValue() {
    return Math.min(this.currentLabel + 1, MAX_LABELS);
  }

  get brushColor() {
    return labelColor(this.currentLabel);
  }

  get paintValue() {
    return this.tool === "eraser" ? 0 : this.brushValue;
  }

  // ---- pointer --------------------------------------------------------------------------------

  toWorking(p) {
    const scale = this.mask.scale;
    return { x: p.x * scale, y: p.y * scale };
  }

  toolDown(p) {
    if (this.tool === "polygon") return this.polygonDown(p);
    if (!this.labels.length && this.tool === "brush") return;
    this.mask.begin();
    const radius = (this.brushSize / 2 / this.viewport.zoom) * this.mask.scale;
    const w = this.toWorking(p);
    this.stroke = { last: w, radius, value: this.paintValue };
    this.mask.paintStroke(w.x, w.y, w.x, w.y, radius, this.stroke.value);
  }

  toolMove(p) {
    const stroke = this.stroke;
    if (!stroke) return;
    const w = this.toWorking(p);
    this.mask.paintStroke(stroke.last.x, stroke.last.y, w.x, w.y, stroke.radius, stroke.value);
    stroke.last = w;
  }

  toolUp(_p, _start, cancelled) {
    if (!this.stroke) return;
    this.stroke = null;
    const change = this.mask.end();
    if (cancelled && change) {
      this.mask.apply(change, "before");
      this.viewport.requestDraw();
    } else {
      this.recordChange(change);
    }
  }

  polygonDown(p) {
    const vertex = {
      x: Math.min(this.photo.width, Math.max(0, p.x)),
      y: Math.min(this.photo.height, Math.max(0, p.y)),
    };
    if (!this.draft) this.draft = [];
    const first = this.draft[0];
    if (this.draft.length >= 3 && this.nearStage(first, p)) return this.closeDraft();
    this.draft.push(vertex);
  }

  nearStage(vertex, p) {
    const s = this.viewport.toStage(vertex.x, vertex.y);
    return Math.hypot(s.x - p.sx, s.y - p.sy) <= HIT_RADIUS;
  }

  closeDraft() {
    const draft = this.draft;
    if (!draft || draft.length < 3) return;
    this.draft = null;
    this.mask.begin();
    this.mask.fillPolygon(draft.map((v) => this.toWorking(v)), this.brushValue);
    this.recordChange(this.mask.end());
  }

  cursorAt(p) {
    if (this.tool === "polygon") {
      const first = this.draft?.[0];
      return first && this.draft.length >= 3 && this.nearStage(first, p) ? "pointer" : "crosshair";
    }
    return this.viewport.onImage(p.sx, p.sy) ? "none" : "default";
  }

  // ---- drawing --------------------------------------------------------------------------------

  drawAnnotations(ctx) {
    if (!this.mask) return;
    this.mask.redraw();
    const vp = this.viewport;
    ctx.save();
    ctx.globalAlpha = this.opacity;
    // Magnified mask pixels stay crisp; a mask shown smaller than its grid is smoothed.
    ctx.imageSmoothingEnabled = vp.zoom < this.mask.scale;
    ctx.drawImage(this.mask.canvas, vp.x, vp.y, vp.imageWidth * vp.zoom, vp.imageHeight * vp.zoom);
    ctx.restore();
  }

  drawOverlay(ctx) {
    const hover = this.hover;
    if (this.draft) return this.drawDraft(ctx, hover);
    if (this.tool === "polygon" || !hover || this.spaceHeld || this.gesture?.kind === "pan") return;
    if (!this.viewport.onImage(hover.sx, hover.sy)) return;
    const color = this.tool === "eraser" ? "#ffffff" : this.brushColor;
    ctx.save();
    ctx.beginPath();
    ctx.arc(hover.sx, hover.sy, Math.max(1, this.brushSize / 2), 0, Math.PI * 2);
    ctx.fillStyle = this.tool === "eraser" ? "rgba(255, 255, 255, 0.18)" : withAlpha(color, 0.25);
    ctx.fill();
    ctx.lineWidth = 3;
    ctx.strokeStyle = "rgba(0, 0, 0, 0.45)";
    ctx.stroke();
    ctx.lineWidth = 1.5;
    ctx.strokeStyle = color;
    if (this.tool === "eraser") ctx.setLineDash([4, 3]);
    ctx.stroke();
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(hover.sx - 0.75, hover.sy - 0.75, 1.5, 1.5);
    ctx.restore();
  }

  drawDraft(ctx, hover) {
    const color = this.brushColor;
    const points = this.draft.map((v) => this.viewport.toStage(v.x, v.y));
    const path = hover ? [...points, { x: hover.sx, y: hover.sy }] : points;
    ctx.save();
    ctx.beginPath();
    path.forEach((s, i) => (i ? ctx.lineTo(s.x, s.y) : ctx.moveTo(s.x, s.y)));
    ctx.closePath();
    ctx.fillStyle = withAlpha(color, 0.3);
    ctx.fill();
    ctx.lineWidth = 2;
    ctx.strokeStyle = color;
    ctx.setLineDash([6, 4]);
    ctx.stroke();
    ctx.restore();
    const closing = hover && points.length >= 3 && this.nearStage(this.draft[0], hover);
    points.forEach((s, i) => drawVertex(ctx, s.x, s.y, color, { radius: i ? 3.5 : 5, ring: i === 0 && closing }));
  }
}

customElements.define("crowd-semantic-segmentation", CrowdSemanticSegmentation);
