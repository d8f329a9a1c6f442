// <crowd-instance-segmentation>: paint each object (instance) of a label in its own colour. The
// semantic segmentation tool (brush, eraser, polygon fill, undo, opacity) with one mask value per
// instance instead of per label.
//
// Output (Ground Truth's element reference): {inputImageProperties: {height, width},
// instances: [{color: "#hex", label}] (instances that have pixels, in the order they were made;
// a label repeats, each instance has its own colour), labeledImage: {pngImageData: <base64 RGBA
// PNG at the original size: each pixel one instance colour, or transparent>},
// initialValueModified? (with initial-value: {instances: [{color, label}], src: <earlier mask>})}.
//
// Picking a label (click or 1-9) paints into that label's latest instance (the first stroke makes
// one); N starts a new instance of the current label. The annotation list holds the instances:
// click one to paint into it again, the bin (or Del) clears it.
import { LABEL_COLORS } from "./base.js";
import { CrowdSemanticSegmentation } from "./crowd-semantic-segmentation.js";
import { MAX_LABELS } from "./segmentation-mask.js";

/** Colour of the n-th instance: the tab10/tab20 palette, then evenly spread hues. */
export function instanceColor(index) {
  if (index < LABEL_COLORS.length) return LABEL_COLORS[index];
  const hue = (index * 137.508) % 360;
  const light = 35 + ((index * 7) % 30);
  return hslToHex(hue, 70, light);
}

function hslToHex(h, s, l) {
  const a = (s / 100) * Math.min(l / 100, 1 - l / 100);
  const channel = (n) => {
    const k = (n + h / 30) % 12;
    const value = l / 100 - a * Math.max(-1, Math.min(k - 3, 9 - k, 1));
    return Math.round(value * 255).toString(16).padStart(2, "0");
  };
  return `#${channel(0)}${channel(8)}${channel(4)}`;
}

class CrowdInstanceSegmentation extends CrowdSemanticSegmentation {
  constructor() {
    super();
    this.instances = [];
    this.currentInstance = -1;
  }

  get hints() {
    return [
      ["<kbd>B</kbd> <kbd>E</kbd> <kbd>P</kbd>", "tools"],
      ["<kbd>1</kbd>–<kbd>9</kbd>", "label"],
      ["<kbd>N</kbd>", "new instance"],
      ["<kbd>[</kbd> <kbd>]</kbd>", "brush size"],
      ["<kbd>Ctrl</kbd>+<kbd>Z</kbd>", "undo"],
    ];
  }

  get selectable() {
    return true;
  }

  get hasSelection() {
    return this.currentInstance >= 0;
  }

  maskPalette() {
    return this.instances.map((instance) => instance.color);
  }

  // ---- instances ------------------------------------------------------------------------------

  /** Starts a new instance of the current label and paints into it. */
  newInstance() {
    if (!this.labels.length || this.instances.length >= MAX_LABELS) return -1;
    const label = this.labels[this.currentLabel];
    this.instances.push({ label, color: instanceColor(this.instances.length) });
    this.currentInstance = this.instances.length - 1;
    this.mask?.setPalette(this.maskPalette());
    this.renderAll();
    return this.currentInstance;
  }

  get brushValue() {
    if (this.currentInstance < 0 || this.instances[this.currentInstance]?.label !== this.labels[this.currentLabel]) {
      this.currentInstance = this.latestInstanceOf(this.labels[this.currentLabel]);
    }
    if (this.currentInstance < 0) this.newInstance();
    return this.currentInstance + 1;
  }

  get brushColor() {
    const instance = this.instances[this.currentInstance];
    if (instance && instance.label === this.labels[this.currentLabel]) return instance.color;
    const latest = this.instances[this.latestInstanceOf(this.labels[this.currentLabel])];
    return latest ? latest.color : instanceColor(this.instances.length);
  }

  latestInstanceOf(label) {
    for (let i = this.instances.length - 1; i >= 0; i--) if (this.instances[i].label === label) return i;
    return -1;
  }

  relabelSelection(index) {
    super.relabelSelection(index);
    this.currentInstance = this.latestInstanceOf(this.labels[index]);
    return false;
  }

  toolKey(event) {
    if (event.key.toLowerCase() === "n" && !event.shiftKey) {
      this.newInstance();
      if (this.tool === "eraser") this.setTool("brush");
      return true;
    }
    return super.toolKey(event);
  }

  /** Instances in the list: those with pixels, and the one being painted. */
  listedInstances() {
    const counts = this.mask ? this.mask.histogram() : [];
    return this.instances
      .map((instance, index) => ({ ...instance, index, pixels: counts[index + 1] || 0 }))
      .filter((item) => item.pixels > 0 || item.index === this.currentInstance);
  }

  shapeItems() {
    const total = this.mask ? this.mask.data.length : 1;
    const numbers = new Map();
    return this.listedInstances().map((item) => {
      const n = (numbers.get(item.label) || 0) + 1;
      numbers.set(item.label, n);
      const share = (100 * item.pixels) / total;
      const size = share === 0 ? "empty" : share < 1 ? "<1%" : `${Math.round(share)}%`;
      return {
        label: `${item.label} #${n}`,
        detail: size,
        color: item.color,
        selected: item.index === this.currentInstance,
      };
    });
  }

  selectShape(row) {
    const item = this.listedInstances()[row];
    if (!item) return;
    this.currentInstance = item.index;
    this.currentLabel = Math.max(0, this.labels.indexOf(item.label));
    if (this.tool === "eraser") this.tool = "brush";
    this.renderAll();
  }

  deleteShape(row) {
    const item = this.listedInstances()[row];
    if (!item) return;
    this.mask.begin();
    this.mask.replaceValue(item.index + 1, 0);
    this.recordChange(this.mask.end());
    if (this.currentInstance === item.index) this.currentInstance = -1;
    this.renderAll();
  }

  deleteSelection() {
    if (this.draft) return false;
    const row = this.listedInstances().findIndex((item) => item.index === this.currentInstance);
    if (row < 0) return false;
    this.deleteShape(row);
    return true;
  }

  labelInUse(name) {
    const counts = this.mask ? this.mask.histogram() : [];
    return this.instances.some((instance, i) => instance.label === name && counts[i + 1] > 0);
  }

  labelCounts() {
    if (!this.mask) return null;
    const counts = this.mask.histogram();
    return this.labels.map((name) => {
      const n = this.instances.filter((inst, i) => inst.label === name && counts[i + 1] > 0).length;
      return n ? String(n) : "";
    });
  }

  // ---- state and output -----------------------------------------------------------------------

  async applyInitialValue(value) {
    this.instances = [];
    this.currentInstance = -1;
    if (!value?.src) return;
    const colorValues = new Map();
    for (const item of Array.isArray(value.instances) ? value.instances : []) {
      if (this.instances.length >= MAX_LABELS || typeof item?.color !== "string") continue;
      const label = String(item.label ?? "");
      this.labelIndex(label);
      this.instances.push({ label, color: item.color.toLowerCase() });
      colorValues.set(item.color.toLowerCase(), this.instances.length);
    }
    this.mask.setPalette(this.maskPalette());
    await this.loadEarlierMask(value.src, colorValues);
  }

  outputValue() {
    if (this.cached?.revision === this.revision) return this.cached.value;
    const counts = this.mask.histogram();
    const instances = this.instances
      .filter((_, i) => counts[i + 1] > 0)
      .map(({ color, label }) => ({ color, label }));
    const value = { instances, labeledImage: { pngImageData: this.mask.pngBase64() } };
    this.cached = { revision: this.revision, value };
    return value;
  }
}

customElements.define("crowd-instance-segmentation", CrowdInstanceSegmentation);
