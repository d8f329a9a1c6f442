// Pointer and keyboard routing of the image annotation tools: pan and zoom gestures, the
// shortcuts every tool shares, and which tool on the page receives the keys. ImageAnnotatorElement
// (image-annotator.js) builds on it; the hooks at the end are overridden by the tools.
import { choiceIndexForKey, isTyping } from "./base.js";

/** Zoom factor of one zoom step (key, toolbar button). */
export const ZOOM_STEP = 1.25;
const PAN_STEP = 60;

// Several tools may share a page; keys go to the one the worker used last. A click into another
// annotation element (a classifier next to the image) hands the keys to that element.
const instances = new Set();
let activeTool = null;
const NO_TOOL = {};

document.addEventListener(
  "pointerdown",
  (event) => {
    const path = event.composedPath();
    const tool = path.find((node) => instances.has(node));
    if (tool) activeTool = tool;
    else if (path.some((node) => node instanceof HTMLElement && "crowdValue" in node)) {
      activeTool = NO_TOOL;
    }
  },
  true,
);

/** Makes `tool` the one that receives the keys. */
export function activate(tool) {
  activeTool = tool;
}

/** The shape Tab selects next: the first (the last, going back) when none is selected; -1 past
 * either end, which deselects and lets the focus leave the tool. */
export function nextSelection(selected, count, step) {
  if (selected < 0) return count ? (step > 0 ? 0 : count - 1) : -1;
  const next = selected + step;
  return next >= 0 && next < count ? next : -1;
}

/** Keys go to the active tool: see image-annotator.js for the element itself. */
export class ImageInputElement extends HTMLElement {
  constructor() {
    super();
    this.gesture = null;
    this.hover = null;
    this.spaceHeld = false;
    this.onKeyDown = (event) => this.keyDown(event);
    this.onKeyUp = (event) => this.keyUp(event);
    this.onBlur = () => this.setSpaceHeld(false);
  }

  /** Starts receiving keys (from connectedCallback). */
  listenForKeys() {
    instances.add(this);
    document.addEventListener("keydown", this.onKeyDown, true);
    document.addEventListener("keyup", this.onKeyUp, true);
    window.addEventListener("blur", this.onBlur);
  }

  stopListening() {
    instances.delete(this);
    if (activeTool === this) activeTool = null;
    document.removeEventListener("keydown", this.onKeyDown, true);
    document.removeEventListener("keyup", this.onKeyUp, true);
    window.removeEventListener("blur", this.onBlur);
  }

  // ---- pointer --------------------------------------------------------------------------------

  wireStage() {
    const stage = this.stage;
    stage.addEventListener("pointerdown", (e) => this.pointerDown(e));
    stage.addEventListener("pointermove", (e) => this.pointerMove(e));
    stage.addEventListener("pointerup", (e) => this.pointerUp(e));
    stage.addEventListener("pointercancel", (e) => this.pointerUp(e));
    stage.addEventListener("pointerleave", () => {
      this.hover = null;
      this.renderCoords();
      this.viewport.requestDraw();
    });
    stage.addEventListener("mousedown", (e) => e.button === 1 && e.preventDefault());
    // Right-drag sets the window of DICOM images: no context menu over the stage then.
    stage.addEventListener("contextmenu", (e) => this.photo?.dicom && e.preventDefault());
    stage.addEventListener("wheel", (e) => this.wheel(e), { passive: false });
  }

  pointInfo(event) {
    const s = this.viewport.stagePoint(event);
    const p = this.viewport.toImage(s.x, s.y);
    return { sx: s.x, sy: s.y, x: p.x, y: p.y, shift: event.shiftKey, alt: event.altKey };
  }

  pointerDown(event) {
    activeTool = this;
    if (!this.photo || this.gesture) return;
    const info = this.pointInfo(event);
    const pan = event.button === 1 || (event.button === 0 && this.spaceHeld);
    const windowing = event.button === 2 && Boolean(this.photo.dicom);
    if (!pan && !windowing && event.button !== 0) return;
    event.preventDefault();
    this.stage.focus({ preventScroll: true });
    this.stage.setPointerCapture(event.pointerId);
    const kind = windowing ? "window" : pan ? "pan" : "tool";
    this.gesture = { kind, id: event.pointerId, start: info, last: info };
    if (kind === "tool") this.toolDown(info);
    this.updateCursor(info);
    this.viewport.requestDraw();
  }

  pointerMove(event) {
    if (!this.photo) return;
    const info = this.pointInfo(event);
    this.hover = info;
    const gesture = this.gesture;
    if (gesture && gesture.id === event.pointerId) {
      if (gesture.kind === "pan") this.viewport.panBy(info.sx - gesture.last.sx, info.sy - gesture.last.sy);
      else if (gesture.kind === "window") this.dicomControls.drag(info.sx - gesture.last.sx, info.sy - gesture.last.sy);
      else this.toolMove(info, gesture.start);
      gesture.last = info;
    } else if (!gesture) {
      this.toolHover(info);
    }
    this.renderCoords();
    this.updateCursor(info);
    this.viewport.requestDraw();
  }

  pointerUp(event) {
    const gesture = this.gesture;
    if (!gesture || gesture.id !== event.pointerId) return;
    this.gesture = null;
    if (this.stage.hasPointerCapture(event.pointerId)) this.stage.releasePointerCapture(event.pointerId);
    const info = this.pointInfo(event);
    if (gesture.kind === "tool") this.toolUp(info, gesture.start, event.type === "pointercancel");
    this.updateCursor(info);
    this.viewport.requestDraw();
  }

  wheel(event) {
    if (!this.photo) return;
    event.preventDefault();
    const unit = event.deltaMode === 1 ? 33 : event.deltaMode === 2 ? 400 : 1;
    const delta = Math.max(-300, Math.min(300, event.deltaY * unit));
    const s = this.viewport.stagePoint(event);
    this.viewport.zoomAt(Math.exp(-delta * 0.002), s.x, s.y);
  }

  updateCursor(info) {
    let cursor;
    if (this.gesture?.kind === "pan") cursor = "grabbing";
    else if (this.spaceHeld) cursor = "grab";
    else cursor = info ? this.cursorAt(info) : "default";
    this.stage.style.cursor = cursor;
  }

  // ---- keyboard -------------------------------------------------------------------------------

  isActive() {
    if (activeTool === NO_TOOL) return false;
    if (activeTool && instances.has(activeTool)) return activeTool === this;
    return instances.values().next().value === this;
  }

  keyDown(event) {
    if (!this.isActive() || !this.photo || event.isComposing) return;
    if (isTyping(event) || event.composedPath().some((node) => node.tagName === "DIALOG")) return;
    if (this.handleKey(event)) {
      event.preventDefault();
      this.viewport.requestDraw();
    }
  }

  keyUp(event) {
    if (event.key === " ") this.setSpaceHeld(false);
  }

  setSpaceHeld(held) {
    if (this.spaceHeld === held) return;
    this.spaceHeld = held;
    this.updateCursor(this.hover);
  }

  /** Handles a key press; true when it was used (the browser and the form then ignore it). */
  handleKey(event) {
    const key = event.key;
    // DICOM keys first: Ctrl+arrows set the window, before Ctrl+Z/Y.
    if (this.dicomControls?.handleKey(event)) return true;
    if (event.ctrlKey || event.metaKey) {
      const lower = key.toLowerCase();
      if (lower === "z" && !event.shiftKey) this.undo();
      else if ((lower === "z" && event.shiftKey) || lower === "y") this.redo();
      else return false;
      return true;
    }
    if (event.altKey) return false;
    if (this.toolKey(event)) return true;
    const labelIndex = choiceIndexForKey(key);
    if (labelIndex >= 0) {
      this.chooseLabel(labelIndex);
      return labelIndex < this.labels.length;
    }
    return this.viewKey(event) || this.editKey(event);
  }

  viewKey(event) {
    const around = this.hover || { sx: this.viewport.width / 2, sy: this.viewport.height / 2 };
    switch (event.key) {
      case " ":
        this.setSpaceHeld(true);
        return true;
      case "+":
      case "=":
        this.viewport.zoomAt(ZOOM_STEP, around.sx, around.sy);
        return true;
      case "-":
      case "_":
        this.viewport.zoomAt(1 / ZOOM_STEP, around.sx, around.sy);
        return true;
      case "f":
      case "F":
        this.viewport.fit();
        return true;
      case "h":
      case "H":
        this.toggleHidden();
        return true;
      default:
        return false;
    }
  }

  editKey(event) {
    const arrows = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    const key = event.key;
    if (key in arrows) {
      const [dx, dy] = arrows[key];
      const step = event.shiftKey ? 10 : 1;
      if (this.nudgeSelection(dx * step, dy * step)) {
        this.edited();
        return true;
      }
      const pan = event.shiftKey ? PAN_STEP * 4 : PAN_STEP;
      this.viewport.panBy(-dx * pan, -dy * pan);
      return true;
    }
    if (key === "Delete" || key === "Backspace") return this.deleteSelection();
    if (key === "Escape") return this.cancel();
    // Tab walks through the shapes only while the stage has the focus (after a click on it).
    if (key === "Tab") return this.shadowRoot.activeElement === this.stage && this.cycleSelection(event.shiftKey ? -1 : 1);
    return false;
  }

  toolKey(_event) {
    return false;
  }

  nudgeSelection(_dx, _dy) {
    return false;
  }

  deleteSelection() {
    return false;
  }

  cancel() {
    return false;
  }

  cycleSelection(_step) {
    return false;
  }

  // ---- hooks of the tools ----------------------------------------------------------------------

  toolDown(_p) {}
  toolMove(_p, _start) {}
  toolUp(_p, _start, _cancelled) {}
  toolHover(_p) {}

  cursorAt(_p) {
    return "crosshair";
  }
}
