// The base class of the four image annotation tools (bounding box, keypoint, polygon, semantic
// segmentation): attributes, layout, label picker, toolbar, loading, answer, undo. Pointer and
// keyboard routing live in image-input.js.
//
// A tool subclass implements, in original-pixel coordinates (see image-viewport.js):
//   toolDown(p) / toolMove(p, start) / toolUp(p, start) / toolHover(p)   pointer gestures
//   cursorAt(p)                     CSS cursor for the stage
//   drawAnnotations(ctx)            paint its annotations (stage coordinates, via this.viewport)
//   drawOverlay(ctx)                paint cursor aids, shown even when annotations are hidden
//   snapshot() / restore(state)     its annotations, for undo/redo and reset
//   applyInitialValue(value)        start from an adjustment job's earlier annotations
//   outputValue()                   the answer without inputImageProperties/initialValueModified
// and optionally: toolKey(event), relabelSelection(index), deleteSelection(), cancel(),
// nudgeSelection(dx, dy), cycleSelection(step), labelCounts(), shapeItems(), selectShape(i),
// deleteShape(i), validateAnnotations(), get hints, get tools, buildOptions(container).
import { attachStyledShadow, labelColor, parseAttr } from "./base.js";
import { createInstructionsPanel } from "./crowd-instructions.js";
import { ICONS } from "./image-icons.js";
import { ANNOTATOR_CSS, ANNOTATOR_MARKUP } from "./image-annotator-layout.js";
import { DICOM_CSS, DICOM_HINTS, DicomControls } from "./dicom-controls.js";
import { ImageInputElement, ZOOM_STEP, activate } from "./image-input.js";
import { ImageViewport, loadPhoto } from "./image-viewport.js";

const UNDO_LIMIT = 200;

/** Label names from a `labels` attribute: a JSON array of strings (objects with a `label` field
 * are accepted too). */
export function labelNames(value) {
  let parsed;
  try {
    parsed = parseAttr(value, []);
  } catch (_) {
    parsed = [];
  }
  if (!Array.isArray(parsed)) return [];
  return parsed.map((item) =>
    typeof item === "object" && item !== null ? String(item.label ?? item.text ?? "") : String(item),
  );
}

const escapeHtml = (text) =>
  String(text).replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

export class ImageAnnotatorElement extends ImageInputElement {
  static observedAttributes = ["src", "header", "labels", "initial-value"];

  constructor() {
    super();
    this.root = attachStyledShadow(this, ANNOTATOR_CSS + DICOM_CSS + (this.constructor.toolCss || ""));
    const template = document.createElement("template");
    template.innerHTML = ANNOTATOR_MARKUP;
    this.root.appendChild(template.content);
    this.$ = (selector) => this.root.querySelector(selector);
    this.stage = this.$(".stage");
    this.viewport = new ImageViewport(this.stage, {
      drawAnnotations: (ctx) => this.drawLayer(ctx),
      onViewChange: () => this.renderZoom(),
    });
    this.dicomControls = new DicomControls(this.$(".work"), { onReset: () => this.viewport.fit() });
    this.$(".work").insertBefore(this.dicomControls.bar, this.stage);
    this.photo = null;
    this.loadError = null;
    this.loadedSrc = null;
    this.labelList = [];
    this.currentLabel = 0;
    this.annotationsHidden = false;
    this.undoStack = [];
    this.redoStack = [];
    this.revision = 0;
    this.initialValue = null;
    this.initialSignature = null;
    this.newReadyPromise();
    this.wireStage();
    this.wireControls();
  }

  newReadyPromise() {
    /** Resolves once the photo (and any initial value) has loaded or failed to load. */
    this.ready = new Promise((resolve) => (this.resolveReady = resolve));
  }

  connectedCallback() {
    this.listenForKeys();
    this.viewport.reconnect();
    if (!this.shellBuilt) this.buildShell();
    this.readLabels();
    this.renderAll();
    this.load();
  }

  disconnectedCallback() {
    this.stopListening();
    this.viewport.disconnect();
  }

  attributeChangedCallback(name, oldValue, value) {
    if (!this.isConnected || oldValue === value) return;
    if (name === "header") this.renderHeader();
    else if (name === "labels") {
      this.readLabels();
      this.renderAll();
    } else if (name === "src") this.load();
    else if (name === "initial-value" && this.photo) this.startFromInitialValue();
  }

  buildShell() {
    this.shellBuilt = true;
    const panel = createInstructionsPanel(this);
    if (panel) {
      this.$(".side-left").append(panel);
      this.$(".side-left").hidden = false;
    }
    const tools = this.tools;
    this.$(".tools").innerHTML = tools
      .map(
        (tool) => `<button type="button" class="icon-btn" data-tool="${tool.id}"
          title="${tool.title} (${tool.key.toUpperCase()})" aria-label="${tool.title}"
          aria-pressed="false">${ICONS[tool.icon]}</button>`,
      )
      .join("");
    this.$(".tools").hidden = this.$(".tools-sep").hidden = tools.length === 0;
    this.$('[data-action="delete"]').hidden = !this.selectable;
    this.buildOptions(this.$(".options"));
    this.renderHints();
  }

  // ---- tool description, overridden by subclasses -------------------------------------------

  /** Mode buttons of the tool: [{id, title, key, icon}]. */
  get tools() {
    return [];
  }

  /** Status-line hints: [[keys, what]], keys as HTML (<kbd> for keys, <b> for gestures). */
  get hints() {
    return [];
  }

  buildOptions(_container) {}

  // ---- labels ---------------------------------------------------------------------------------

  readLabels() {
    const declared = labelNames(this.getAttribute("labels"));
    const extra = this.labels.filter((name) => !declared.includes(name) && this.labelInUse(name));
    this.labelList = [...declared, ...extra];
    if (this.currentLabel >= this.labels.length) this.currentLabel = 0;
  }

  /** The label names. Templates set them from scripts, as with Ground Truth's elements
   * (`annotator.labels = annotator.labels.concat([name])` in the gallery's custom-label
   * templates); the picker follows. */
  get labels() {
    return this.labelList;
  }

  set labels(names) {
    this.labelList = (Array.isArray(names) ? names : []).map((name) => String(name));
    if (this.currentLabel >= this.labelList.length) this.currentLabel = 0;
    this.labelsChanged();
    if (this.shellBuilt) this.renderAll();
  }

  /** Called after the label list was replaced from a script. */
  labelsChanged() {}

  labelInUse(_name) {
    return false;
  }

  /** Index of a label; labels found only in an initial value are appended to the picker. */
  labelIndex(name) {
    let index = this.labels.indexOf(name);
    if (index < 0) {
      this.labels.push(name);
      index = this.labels.length - 1;
    }
    return index;
  }

  colorOf(name) {
    const index = this.labels.indexOf(name);
    return index < 0 ? "#7f7f7f" : labelColor(index);
  }

  /** Picks the label for new annotations (and relabels the selection, if the tool has one). */
  chooseLabel(index) {
    if (index < 0 || index >= this.labels.length) return;
    this.currentLabel = index;
    if (this.relabelSelection(index)) this.edited();
    else this.renderAll();
  }

  relabelSelection(_index) {
    return false;
  }

  /** Label index the picker highlights: the selection's label, else the current label. */
  activeLabel() {
    return this.currentLabel;
  }

  // ---- loading --------------------------------------------------------------------------------

  async load() {
    const src = this.getAttribute("src") || "";
    if (src === this.loadedSrc) return;
    if (this.loadedSrc !== null) this.newReadyPromise();
    this.loadedSrc = src;
    this.photo = null;
    this.dicomControls.attach(null);
    this.loadError = null;
    this.showMessage("loading");
    try {
      if (!src) throw new Error("the src attribute is empty");
      const photo = await loadPhoto(src);
      if (this.loadedSrc !== src) return;
      this.photo = photo;
      this.viewport.setPhoto(photo);
      this.dicomControls.attach(photo.dicom || null);
      this.renderHints();
      this.$(".meta").textContent = `${photo.width} × ${photo.height} px`;
      this.showMessage(null);
      await this.startFromInitialValue();
    } catch (error) {
      if (this.loadedSrc !== src) return;
      this.loadError = String(error?.message || error);
      this.showMessage("error");
    }
    this.renderAll();
    this.resolveReady();
  }

  async startFromInitialValue() {
    const raw = this.getAttribute("initial-value");
    let value = null;
    try {
      value = parseAttr(raw, null);
    } catch (_) {
      console.warn("truthset: initial-value is not valid JSON", raw);
    }
    this.initialValue = value;
    this.restore(this.emptyState());
    if (value !== null) await this.applyInitialValue(value);
    this.undoStack = [];
    this.redoStack = [];
    this.initialState = this.snapshot();
    this.initialSignature = this.signature();
    this.revision++;
    this.renderAll();
  }

  showMessage(kind) {
    const box = this.$(".message");
    if (kind === "loading") {
      box.innerHTML = `<div class="spinner"></div><span>Loading image…</span>`;
    } else if (kind === "error") {
      box.innerHTML = `<strong>The image could not be loaded.</strong>
        <small>${escapeHtml(this.getAttribute("src") || "(no src)")}</small>`;
    } else {
      box.innerHTML = "";
    }
  }

  // ---- answer ---------------------------------------------------------------------------------

  get hasInitialValue() {
    return this.initialValue !== null;
  }

  /** The element's output under its `name` (see ground-truth.md 8.3); null before the image
   * has loaded. */
  get crowdValue() {
    if (!this.photo) return null;
    const value = this.outputValue();
    const answer = {
      ...value,
      inputImageProperties: { height: this.photo.height, width: this.photo.width },
    };
    if (this.hasInitialValue) answer.initialValueModified = this.initialValueModified(value);
    // Keys in alphabetical order, as Ground Truth writes them.
    return Object.fromEntries(Object.keys(answer).sort().map((key) => [key, answer[key]]));
  }

  /** The output, by the names Ground Truth's elements expose to template scripts. */
  get value() {
    return this.crowdValue;
  }

  get _submittableValue() {
    return this.crowdValue;
  }

  crowdValidate() {
    if (this.loadError) return "The image could not be loaded, so it cannot be annotated.";
    if (!this.photo) return "The image is still loading. Wait a moment, then submit.";
    return this.validateAnnotations();
  }

  validateAnnotations() {
    return null;
  }

  /** What initialValueModified compares with the state right after loading. */
  signature() {
    return JSON.stringify(this.outputValue());
  }

  initialValueModified(_value) {
    return this.signature() !== this.initialSignature;
  }

  /** Back to the initial value (crowd-form's reset). */
  crowdReset() {
    if (!this.initialState) return;
    this.restore(this.initialState);
    this.undoStack = [];
    this.redoStack = [];
    this.edited();
  }

  // ---- undo -----------------------------------------------------------------------------------

  /** Call before changing the annotations. */
  recordUndo() {
    this.undoStack.push(this.snapshot());
    if (this.undoStack.length > UNDO_LIMIT) this.undoStack.shift();
    this.redoStack = [];
  }

  undo() {
    if (!this.undoStack.length) return;
    this.redoStack.push(this.snapshot());
    this.restore(this.undoStack.pop());
    this.edited();
  }

  redo() {
    if (!this.redoStack.length) return;
    this.undoStack.push(this.snapshot());
    this.restore(this.redoStack.pop());
    this.edited();
  }

  get canUndo() {
    return this.undoStack.length > 0;
  }

  get canRedo() {
    return this.redoStack.length > 0;
  }

  /** Call after the annotations changed: redraws, and tells the form (it clears its problem). */
  edited() {
    this.revision++;
    this.renderAll();
    this.dispatchEvent(new Event("input", { bubbles: true }));
  }

  toggleHidden() {
    this.annotationsHidden = !this.annotationsHidden;
    const button = this.$('[data-action="toggle-hidden"]');
    button.innerHTML = this.annotationsHidden ? ICONS.eyeOff : ICONS.eye;
    button.setAttribute("aria-pressed", String(this.annotationsHidden));
    button.title = this.annotationsHidden ? "Show annotations (H)" : "Hide annotations (H)";
    this.viewport.requestDraw();
  }

  // ---- controls and rendering -----------------------------------------------------------------

  wireControls() {
    this.root.addEventListener("click", (event) => {
      const target = event.target.closest("[data-action], [data-tool], [data-label], .shape");
      if (!target) return;
      activate(this);
      if (target.dataset.tool) this.setTool(target.dataset.tool);
      else if (target.dataset.label) this.chooseLabel(Number(target.dataset.label));
      else if (target.classList.contains("shape")) this.shapeClicked(event, target);
      else this.action(target.dataset.action);
    });
  }

  action(name) {
    const vp = this.viewport;
    if (name === "zoom-in") vp.zoomAt(ZOOM_STEP);
    else if (name === "zoom-out") vp.zoomAt(1 / ZOOM_STEP);
    else if (name === "fit") vp.fit();
    else if (name === "undo") this.undo();
    else if (name === "redo") this.redo();
    else if (name === "delete") this.deleteSelection();
    else if (name === "toggle-hidden") this.toggleHidden();
  }

  shapeClicked(event, item) {
    const index = Number(item.dataset.index);
    if (event.target.closest(".remove")) this.deleteShape(index);
    else this.selectShape(index);
  }

  setTool(id) {
    this.tool = id;
    this.renderAll();
  }

  drawLayer(ctx) {
    if (!this.annotationsHidden) this.drawAnnotations(ctx);
    this.drawOverlay(ctx);
  }

  drawAnnotations(_ctx) {}
  drawOverlay(_ctx) {}

  renderAll() {
    this.renderHeader();
    this.renderLabels();
    this.renderShapes();
    this.renderToolbar();
    this.viewport.requestDraw();
  }

  renderHeader() {
    this.$(".title").textContent = this.getAttribute("header") || "";
    this.$(".top").hidden = !this.getAttribute("header") && !this.photo;
  }

  renderLabels() {
    const counts = this.labelCounts();
    const active = this.activeLabel();
    this.$(".labels").innerHTML = this.labels
      .map((name, i) => {
        const key = i < 10 ? `<kbd>${(i + 1) % 10}</kbd>` : "";
        const count = counts ? `<span class="count">${counts[i] || ""}</span>` : "";
        return `<li><button type="button" class="label" data-label="${i}" style="--swatch:
          ${labelColor(i)}" aria-pressed="${i === active}" title="${escapeHtml(name)}">
          <span class="swatch"></span><span class="name">${escapeHtml(name)}</span>${count}${key}
          </button></li>`;
      })
      .join("");
  }

  labelCounts() {
    return null;
  }

  renderShapes() {
    const items = this.shapeItems();
    this.$(".shape-section").hidden = items === null;
    if (items === null) return;
    this.$(".shape-count").textContent = items.length ? `(${items.length})` : "";
    this.$(".empty").hidden = items.length > 0;
    this.$(".shapes").innerHTML = items
      .map(
        (item, i) => `<li class="shape" role="option" data-index="${i}"
          aria-selected="${Boolean(item.selected)}"><span class="swatch"
          style="--swatch: ${item.color || this.colorOf(item.label)}"></span><span class="name">
          ${escapeHtml(item.label)}</span><span class="detail">${escapeHtml(item.detail)}</span>
          <button type="button" class="remove" title="Delete" aria-label="Delete">${ICONS.trash}
          </button></li>`,
      )
      .join("");
    this.$('.shape[aria-selected="true"]')?.scrollIntoView({ block: "nearest" });
  }

  /** Rows of the annotation list: [{label, detail, selected, color?}], or null to hide it. */
  shapeItems() {
    return null;
  }

  selectShape(_index) {}
  deleteShape(_index) {}

  /** Whether the tool has annotations to select (and so a Delete button). */
  get selectable() {
    return true;
  }

  get hasSelection() {
    return false;
  }

  renderToolbar() {
    this.$('[data-action="undo"]').disabled = !this.canUndo;
    this.$('[data-action="redo"]').disabled = !this.canRedo;
    this.$('[data-action="delete"]').disabled = !this.hasSelection;
    for (const button of this.root.querySelectorAll("[data-tool]")) {
      button.setAttribute("aria-pressed", String(button.dataset.tool === this.tool));
    }
    this.renderZoom();
  }

  renderZoom() {
    const zoom = this.viewport.zoom;
    const percent = zoom >= 0.1 ? Math.round(zoom * 100) : Math.round(zoom * 1000) / 10;
    this.$(".zoom-level").textContent = this.photo ? `${percent}%` : "–";
  }

  renderCoords() {
    const p = this.hover;
    const inside = p && p.x >= 0 && p.y >= 0 && p.x < this.viewport.imageWidth && p.y < this.viewport.imageHeight;
    this.$(".coords").textContent = inside ? `x ${Math.floor(p.x)}  y ${Math.floor(p.y)}` : "";
  }

  renderHints() {
    const all = [...this.hints, ["<kbd>Space</kbd>+<b>drag</b>", "pan"], ["<kbd>F</kbd>", "fit"]];
    if (this.photo?.dicom) all.push(...DICOM_HINTS);
    this.$(".hints").innerHTML = all.map(([keys, what]) => `<span>${keys} ${what}</span>`).join("");
  }
}

/** A tool whose annotations are a list of labeled shapes (boxes, keypoints, polygons), given by
 * the subclass's `shapes` getter: label use, label counts, the picker's active label and the
 * selection follow from that list. */
export class ShapeListAnnotator extends ImageAnnotatorElement {
  constructor() {
    super();
    this.clearSelection();
  }

  get shapes() {
    return [];
  }

  clearSelection() {
    this.selected = -1;
    this.hovered = -1;
    this.drag = null;
  }

  labelInUse(name) {
    return this.shapes.some((shape) => shape.label === name);
  }

  labelCounts() {
    return this.labels.map((name) => this.shapes.filter((shape) => shape.label === name).length);
  }

  activeLabel() {
    const shape = this.shapes[this.selected];
    return shape ? this.labels.indexOf(shape.label) : this.currentLabel;
  }

  get hasSelection() {
    return this.selected >= 0;
  }
}
