// <crowd-bounding-box>: draw, select, move, resize, relabel and delete boxes on an image.
// Output (ground-truth.md 8.3): {boundingBoxes: [{height, label, left, top, width}],
// inputImageProperties: {height, width}, initialValueModified?}, in integer original pixels.
//
// Gestures: a drag on the image draws a box with the current label; a click selects the box under
// the pointer; a drag on the selected box moves it; the handles of the selected (or hovered) box
// resize it. Boxes always stay inside the image.
import { ShapeListAnnotator } from "./image-annotator.js";
import { nextSelection } from "./image-input.js";
import {
  HIT_RADIUS,
  clamp,
  drawCrosshair,
  drawHandle,
  drawLabelTag,
  withAlpha,
} from "./image-shapes.js";

const CLICK_SLOP = 2; // screen pixels a press may wander and still be a click
const HANDLES = {
  nw: [0, 0],
  n: [0.5, 0],
  ne: [1, 0],
  e: [1, 0.5],
  se: [1, 1],
  s: [0.5, 1],
  sw: [0, 1],
  w: [0, 0.5],
};
const HANDLE_CURSORS = { nw: "nwse", se: "nwse", ne: "nesw", sw: "nesw", n: "ns", s: "ns", e: "ew", w: "ew" };

/** Boxes of an initial value: `[{label, left, top, width, height}]` or `{boundingBoxes: [...]}`,
 * rounded to whole pixels and clipped to the image; boxes left with no area are dropped. */
export function boxesFromInitialValue(value, width, height) {
  const list = Array.isArray(value) ? value : value?.boundingBoxes;
  if (!Array.isArray(list)) return [];
  const boxes = [];
  for (const item of list) {
    const numbers = ["left", "top", "width", "height"].map((key) => Number(item?.[key]));
    if (numbers.some((n) => !Number.isFinite(n))) continue;
    const left = clamp(Math.round(numbers[0]), 0, width);
    const top = clamp(Math.round(numbers[1]), 0, height);
    const right = clamp(Math.round(numbers[0] + numbers[2]), 0, width);
    const bottom = clamp(Math.round(numbers[1] + numbers[3]), 0, height);
    if (right > left && bottom > top) {
      boxes.push({ label: String(item.label ?? ""), left, top, width: right - left, height: bottom - top });
    }
  }
  return boxes;
}

class CrowdBoundingBox extends ShapeListAnnotator {
  constructor() {
    super();
    this.boxes = [];
  }

  get shapes() {
    return this.boxes;
  }

  get hints() {
    return [
      ["<b>Drag</b>", "draw"],
      ["<b>Click</b>", "select"],
      ["<kbd>1</kbd>–<kbd>9</kbd>", "label"],
      ["<kbd>Del</kbd>", "delete"],
      ["<kbd>←</kbd><kbd>→</kbd>", "nudge"],
    ];
  }

  // ---- state ----------------------------------------------------------------------------------

  emptyState() {
    return { boxes: [] };
  }

  snapshot() {
    return { boxes: this.boxes.map((box) => ({ ...box })) };
  }

  restore(state) {
    this.boxes = state.boxes.map((box) => ({ ...box }));
    this.clearSelection();
  }

  applyInitialValue(value) {
    this.boxes = boxesFromInitialValue(value, this.photo.width, this.photo.height);
    for (const box of this.boxes) this.labelIndex(box.label);
  }

  outputValue() {
    return {
      boundingBoxes: this.boxes.map((b) => ({
        height: b.height,
        label: b.label,
        left: b.left,
        top: b.top,
        width: b.width,
      })),
    };
  }

  validateAnnotations() {
    const { width, height } = this.photo;
    const bad = this.boxes.findIndex(
      (b) => b.width <= 0 || b.height <= 0 || b.left < 0 || b.top < 0 ||
        b.left + b.width > width || b.top + b.height > height,
    );
    return bad < 0 ? null : `Box ${bad + 1} is not inside the image: adjust or delete it.`;
  }

  shapeItems() {
    return this.boxes.map((box, i) => ({
      label: box.label,
      detail: `${box.width} × ${box.height}`,
      selected: i === this.selected,
    }));
  }

  // ---- editing --------------------------------------------------------------------------------

  selectShape(index) {
    this.selected = index;
    const box = this.boxes[index];
    if (box) this.revealBox(box);
    this.renderAll();
  }

  deleteShape(index) {
    this.recordUndo();
    this.boxes.splice(index, 1);
    this.selected = -1;
    this.hovered = -1;
    this.edited();
  }

  // Keeps a box picked from the list in view without changing the zoom.
  revealBox(box) {
    const vp = this.viewport;
    const a = vp.toStage(box.left, box.top);
    const b = vp.toStage(box.left + box.width, box.top + box.height);
    if (a.x < 0 || a.y < 0 || b.x > vp.width || b.y > vp.height) {
      vp.centreOn(box.left + box.width / 2, box.top + box.height / 2);
    }
  }

  relabelSelection(index) {
    const box = this.boxes[this.selected];
    if (!box || box.label === this.labels[index]) return false;
    this.recordUndo();
    box.label = this.labels[index];
    return true;
  }

  deleteSelection() {
    if (this.selected < 0) return false;
    this.deleteShape(this.selected);
    return true;
  }

  cancel() {
    if (this.drag) {
      if (this.drag.moved && this.drag.kind !== "draw") this.restore(this.undoStack.pop());
      this.drag = null;
      this.gesture = null;
      this.renderAll();
      return true;
    }
    if (this.selected < 0) return false;
    this.selected = -1;
    this.renderAll();
    return true;
  }

  cycleSelection(step) {
    const next = nextSelection(this.selected, this.boxes.length, step);
    this.selectShape(next);
    return next >= 0;
  }

  nudgeSelection(dx, dy) {
    const box = this.boxes[this.selected];
    if (!box) return false;
    this.recordUndo();
    box.left = clamp(box.left + dx, 0, this.photo.width - box.width);
    box.top = clamp(box.top + dy, 0, this.photo.height - box.height);
    return true;
  }

  // ---- pointer --------------------------------------------------------------------------------

  /** The handle under a stage point, on the selected box or else on the hovered one. */
  handleAt(p) {
    for (const index of [this.selected, this.hovered]) {
      const box = this.boxes[index];
      if (!box) continue;
      for (const [name, [fx, fy]] of Object.entries(HANDLES)) {
        const h = this.viewport.toStage(box.left + fx * box.width, box.top + fy * box.height);
        if (Math.abs(p.sx - h.x) <= HIT_RADIUS && Math.abs(p.sy - h.y) <= HIT_RADIUS) {
          return { index, name };
        }
      }
    }
    return null;
  }

  /** The smallest box containing the point (so nested boxes stay reachable), or -1. */
  boxAt(p) {
    let found = -1;
    let area = Infinity;
    this.boxes.forEach((box, i) => {
      const inside = p.x >= box.left && p.x <= box.left + box.width &&
        p.y >= box.top && p.y <= box.top + box.height;
      if (inside && box.width * box.height < area) {
        found = i;
        area = box.width * box.height;
      }
    });
    return found;
  }

  toolDown(p) {
    const handle = this.handleAt(p);
    if (handle) {
      this.selected = handle.index;
      this.drag = { kind: "resize", ...handle, origin: { ...this.boxes[handle.index] }, moved: false };
      this.renderAll();
      return;
    }
    const index = this.boxAt(p);
    if (index >= 0 && index === this.selected) {
      this.drag = { kind: "move", index, origin: { ...this.boxes[index] }, moved: false };
    } else {
      this.drag = { kind: "draw", index, moved: false, current: p };
    }
  }

  toolMove(p, start) {
    const drag = this.drag;
    if (!drag) return;
    if (!drag.moved) {
      if (Math.hypot(p.sx - start.sx, p.sy - start.sy) < CLICK_SLOP) return;
      drag.moved = true;
      if (drag.kind !== "draw") this.recordUndo();
    }
    if (drag.kind === "draw") drag.current = p;
    else if (drag.kind === "move") this.moveBox(drag, p, start);
    else this.resizeBox(drag, p);
    this.renderShapes();
  }

  moveBox(drag, p, start) {
    const box = this.boxes[drag.index];
    const { width, height } = this.photo;
    box.left = clamp(drag.origin.left + Math.round(p.x - start.x), 0, width - box.width);
    box.top = clamp(drag.origin.top + Math.round(p.y - start.y), 0, height - box.height);
  }

  resizeBox(drag, p) {
    const o = drag.origin;
    let [left, top, right, bottom] = [o.left, o.top, o.left + o.width, o.top + o.height];
    const x = clamp(Math.round(p.x), 0, this.photo.width);
    const y = clamp(Math.round(p.y), 0, this.photo.height);
    if (drag.name.includes("w")) left = x;
    if (drag.name.includes("e")) right = x;
    if (drag.name.includes("n")) top = y;
    if (drag.name.includes("s")) bottom = y;
    const box = this.boxes[drag.index];
    box.left = Math.min(left, right);
    box.top = Math.min(top, bottom);
    box.width = Math.max(1, Math.abs(right - left));
    box.height = Math.max(1, Math.abs(bottom - top));
    box.left = Math.min(box.left, this.photo.width - box.width);
    box.top = Math.min(box.top, this.photo.height - box.height);
  }

  /** The box a draw gesture from `a` to `b` makes, clipped to the image, or null if too small. */
  drawnBox(a, b) {
    const { width, height } = this.photo;
    const left = clamp(Math.round(Math.min(a.x, b.x)), 0, width);
    const right = clamp(Math.round(Math.max(a.x, b.x)), 0, width);
    const top = clamp(Math.round(Math.min(a.y, b.y)), 0, height);
    const bottom = clamp(Math.round(Math.max(a.y, b.y)), 0, height);
    const tiny = Math.abs(a.sx - b.sx) < 2 || Math.abs(a.sy - b.sy) < 2;
    if (tiny || right <= left || bottom <= top) return null;
    return { label: this.labels[this.currentLabel] ?? "", left, top, width: right - left, height: bottom - top };
  }

  toolUp(p, start, cancelled) {
    const drag = this.drag;
    this.drag = null;
    if (!drag) return;
    if (cancelled) {
      if (drag.moved && drag.kind !== "draw") this.restore(this.undoStack.pop());
    } else if (!drag.moved) {
      if (drag.kind === "draw") this.selected = drag.index;
    } else if (drag.kind === "draw") {
      const box = this.drawnBox(start, p);
      if (box) {
        this.recordUndo();
        this.boxes.push(box);
        this.selected = -1;
        this.edited();
        return;
      }
    } else {
      this.edited();
      return;
    }
    this.renderAll();
  }

  toolHover(p) {
    const handle = this.handleAt(p);
    const hovered = handle ? handle.index : this.boxAt(p);
    if (hovered !== this.hovered) this.hovered = hovered;
  }

  cursorAt(p) {
    const drag = this.drag;
    if (drag?.kind === "resize") return `${HANDLE_CURSORS[drag.name]}-resize`;
    if (drag?.kind === "move") return "move";
    if (drag) return "crosshair";
    const handle = this.handleAt(p);
    if (handle) return `${HANDLE_CURSORS[handle.name]}-resize`;
    const index = this.boxAt(p);
    if (index >= 0 && index === this.selected) return "move";
    return index >= 0 ? "pointer" : "crosshair";
  }

  // ---- drawing --------------------------------------------------------------------------------

  drawAnnotations(ctx) {
    const order = this.boxes.map((_, i) => i).filter((i) => i !== this.selected);
    if (this.selected >= 0) order.push(this.selected);
    for (const i of order) this.drawBox(ctx, this.boxes[i], i === this.selected, i === this.hovered);
    const focus = this.boxes[this.selected >= 0 ? this.selected : this.hovered];
    if (focus && !(this.drag?.kind === "draw" && this.drag.moved)) {
      const color = this.colorOf(focus.label);
      const active = this.drag?.kind === "resize" ? this.drag.name : null;
      for (const [name, [fx, fy]] of Object.entries(HANDLES)) {
        const h = this.viewport.toStage(focus.left + fx * focus.width, focus.top + fy * focus.height);
        drawHandle(ctx, h.x, h.y, color, name === active);
      }
    }
  }

  drawBox(ctx, box, selected, hovered) {
    const vp = this.viewport;
    const color = this.colorOf(box.label);
    const a = vp.toStage(box.left, box.top);
    const w = box.width * vp.zoom;
    const h = box.height * vp.zoom;
    ctx.save();
    ctx.fillStyle = withAlpha(color, selected ? 0.22 : hovered ? 0.16 : 0.1);
    ctx.fillRect(a.x, a.y, w, h);
    ctx.lineWidth = selected ? 4.5 : 3.5;
    ctx.strokeStyle = "rgba(0, 0, 0, 0.35)";
    ctx.strokeRect(a.x, a.y, w, h);
    ctx.lineWidth = selected || hovered ? 2.5 : 2;
    ctx.strokeStyle = color;
    ctx.strokeRect(a.x, a.y, w, h);
    if (selected) {
      ctx.setLineDash([5, 4]);
      ctx.lineWidth = 1;
      ctx.strokeStyle = "#ffffff";
      ctx.strokeRect(a.x, a.y, w, h);
    }
    ctx.restore();
    drawLabelTag(ctx, box.label, a.x - 1, a.y - 1, color, { minY: Math.max(0, vp.y) });
  }

  drawOverlay(ctx) {
    const drag = this.drag;
    if (drag?.kind === "draw" && drag.moved) {
      const start = this.gesture?.start;
      const box = start && this.drawnBox(start, drag.current);
      if (box) this.drawDraft(ctx, box);
    } else if (drag?.moved) {
      const box = this.boxes[drag.index];
      this.drawSize(ctx, box);
    }
    const hover = this.hover;
    const idle = !drag && this.hovered < 0 && !this.spaceHeld;
    if (hover && (idle || drag?.kind === "draw")) drawCrosshair(ctx, this.viewport, hover.sx, hover.sy);
  }

  drawDraft(ctx, box) {
    const vp = this.viewport;
    const color = this.colorOf(box.label);
    const a = vp.toStage(box.left, box.top);
    ctx.save();
    ctx.fillStyle = withAlpha(color, 0.15);
    ctx.fillRect(a.x, a.y, box.width * vp.zoom, box.height * vp.zoom);
    ctx.lineWidth = 2;
    ctx.strokeStyle = color;
    ctx.setLineDash([6, 4]);
    ctx.strokeRect(a.x, a.y, box.width * vp.zoom, box.height * vp.zoom);
    ctx.restore();
    this.drawSize(ctx, box);
  }

  // A small readout of the box size in original pixels, below its bottom-right corner.
  drawSize(ctx, box) {
    const b = this.viewport.toStage(box.left + box.width, box.top + box.height);
    const text = `${box.width} × ${box.height}`;
    ctx.save();
    ctx.font = '500 11px system-ui, -apple-system, "Segoe UI", sans-serif';
    const w = ctx.measureText(text).width + 10;
    const x = Math.min(b.x - w, this.viewport.width - w - 4);
    const y = Math.min(b.y + 6, this.viewport.height - 22);
    ctx.fillStyle = "rgba(17, 24, 39, 0.85)";
    ctx.beginPath();
    ctx.roundRect(x, y, w, 17, 4);
    ctx.fill();
    ctx.fillStyle = "#f9fafb";
    ctx.textBaseline = "middle";
    ctx.fillText(text, x + 5, y + 9);
    ctx.restore();
  }
}

customElements.define("crowd-bounding-box", CrowdBoundingBox);
