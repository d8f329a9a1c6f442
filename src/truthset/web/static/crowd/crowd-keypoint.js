// <crowd-keypoint>: place, move, relabel and delete labelled points on an image.
// Output (ground-truth.md 8.3): {inputImageProperties: {height, width}, keypoints: [{label, x, y}],
// initialValueModified?}. A point is the whole original pixel it marks: x in 0..width-1,
// y in 0..height-1 (the marker is drawn on that pixel's centre).
import { ShapeListAnnotator } from "./image-annotator.js";
import { nextSelection } from "./image-input.js";
import { HIT_RADIUS, clamp, drawCrosshair, drawLabelTag, drawVertex } from "./image-shapes.js";

const CLICK_SLOP = 3;

/** Points of an initial value: `[{label, x, y}]` or `{keypoints: [...]}`, as whole pixels inside
 * the image; entries without numeric coordinates are dropped. */
export function pointsFromInitialValue(value, width, height) {
  const list = Array.isArray(value) ? value : value?.keypoints;
  if (!Array.isArray(list)) return [];
  return list
    .filter((item) => Number.isFinite(Number(item?.x)) && Number.isFinite(Number(item?.y)))
    .map((item) => ({
      label: String(item.label ?? ""),
      x: clamp(Math.round(Number(item.x)), 0, width - 1),
      y: clamp(Math.round(Number(item.y)), 0, height - 1),
    }));
}

class CrowdKeypoint extends ShapeListAnnotator {
  constructor() {
    super();
    this.points = [];
  }

  get shapes() {
    return this.points;
  }

  get hints() {
    return [
      ["<b>Click</b>", "place"],
      ["<b>Drag</b>", "move"],
      ["<kbd>1</kbd>–<kbd>9</kbd>", "label"],
      ["<kbd>Del</kbd>", "delete"],
      ["<kbd>Tab</kbd>", "next point"],
    ];
  }

  emptyState() {
    return { points: [] };
  }

  snapshot() {
    return { points: this.points.map((point) => ({ ...point })) };
  }

  restore(state) {
    this.points = state.points.map((point) => ({ ...point }));
    this.clearSelection();
  }

  applyInitialValue(value) {
    this.points = pointsFromInitialValue(value, this.photo.width, this.photo.height);
    for (const point of this.points) this.labelIndex(point.label);
  }

  outputValue() {
    return { keypoints: this.points.map((p) => ({ label: p.label, x: p.x, y: p.y })) };
  }

  shapeItems() {
    return this.points.map((point, i) => ({
      label: point.label,
      detail: `${point.x}, ${point.y}`,
      selected: i === this.selected,
    }));
  }

  selectShape(index) {
    this.selected = index;
    const point = this.points[index];
    const s = point && this.viewport.toStage(point.x, point.y);
    if (s && (s.x < 0 || s.y < 0 || s.x > this.viewport.width || s.y > this.viewport.height)) {
      this.viewport.centreOn(point.x, point.y);
    }
    this.renderAll();
  }

  deleteShape(index) {
    this.recordUndo();
    this.points.splice(index, 1);
    this.selected = -1;
    this.hovered = -1;
    this.edited();
  }

  relabelSelection(index) {
    const point = this.points[this.selected];
    if (!point || point.label === this.labels[index]) return false;
    this.recordUndo();
    point.label = this.labels[index];
    return true;
  }

  deleteSelection() {
    if (this.selected < 0) return false;
    this.deleteShape(this.selected);
    return true;
  }

  cancel() {
    if (this.selected < 0) return false;
    this.selected = -1;
    this.renderAll();
    return true;
  }

  cycleSelection(step) {
    const next = nextSelection(this.selected, this.points.length, step);
    this.selectShape(next);
    return next >= 0;
  }

  nudgeSelection(dx, dy) {
    const point = this.points[this.selected];
    if (!point) return false;
    this.recordUndo();
    point.x = clamp(point.x + dx, 0, this.photo.width - 1);
    point.y = clamp(point.y + dy, 0, this.photo.height - 1);
    return true;
  }

  /** The point nearest to a stage point within reach, or -1. */
  pointAt(p) {
    let found = -1;
    let best = HIT_RADIUS + 2;
    this.points.forEach((point, i) => {
      const s = this.viewport.toStage(point.x + 0.5, point.y + 0.5);
      const distance = Math.hypot(s.x - p.sx, s.y - p.sy);
      if (distance <= best) {
        found = i;
        best = distance;
      }
    });
    return found;
  }

  pixelAt(x, y) {
    return {
      x: clamp(Math.floor(x), 0, this.photo.width - 1),
      y: clamp(Math.floor(y), 0, this.photo.height - 1),
    };
  }

  toolDown(p) {
    const index = this.pointAt(p);
    if (index >= 0) {
      this.drag = { index, origin: { ...this.points[index] }, moved: false, placed: false };
      return;
    }
    if (!this.viewport.onImage(p.sx, p.sy)) return;
    // A new point is placed on press, and a drag that follows adjusts it.
    this.recordUndo();
    const label = this.labels[this.currentLabel] ?? "";
    this.points.push({ label, ...this.pixelAt(p.x, p.y) });
    const added = this.points.length - 1;
    this.drag = { index: added, origin: { ...this.points[added] }, moved: true, placed: true };
    this.selected = -1;
    this.edited();
  }

  toolMove(p, start) {
    const drag = this.drag;
    if (!drag) return;
    if (!drag.moved) {
      if (Math.hypot(p.sx - start.sx, p.sy - start.sy) < CLICK_SLOP) return;
      drag.moved = true;
      this.recordUndo();
    }
    const target = this.pixelAt(drag.origin.x + 0.5 + p.x - start.x, drag.origin.y + 0.5 + p.y - start.y);
    Object.assign(this.points[drag.index], target);
    this.renderShapes();
  }

  toolUp(_p, _start, cancelled) {
    const drag = this.drag;
    this.drag = null;
    if (!drag) return;
    if (cancelled && drag.moved) {
      this.restore(this.undoStack.pop());
      this.renderAll();
    } else if (!drag.moved) {
      this.selected = drag.index;
      this.renderAll();
    } else {
      if (!drag.placed) this.selected = drag.index;
      this.edited();
    }
  }

  toolHover(p) {
    this.hovered = this.pointAt(p);
  }

  cursorAt(p) {
    if (this.drag) return "grabbing";
    return this.pointAt(p) >= 0 ? "grab" : "crosshair";
  }

  drawAnnotations(ctx) {
    const vp = this.viewport;
    const order = this.points.map((_, i) => i).filter((i) => i !== this.selected);
    if (this.selected >= 0) order.push(this.selected);
    for (const i of order) {
      const point = this.points[i];
      const s = vp.toStage(point.x + 0.5, point.y + 0.5);
      const selected = i === this.selected || this.drag?.index === i;
      drawVertex(ctx, s.x, s.y, this.colorOf(point.label), {
        radius: 5,
        selected,
        ring: i === this.hovered && !selected,
      });
    }
    // Tags never cover a point or another tag: the selected and hovered points' tags come
    // first, the others only where there is room.
    const placed = this.points.map((point) => {
      const s = vp.toStage(point.x + 0.5, point.y + 0.5);
      return { x: s.x - 7, y: s.y - 7, w: 14, h: 14 };
    });
    const first = [this.selected, this.hovered].filter((i) => i >= 0);
    for (const i of new Set([...first, ...order.reverse()])) {
      const point = this.points[i];
      const s = vp.toStage(point.x + 0.5, point.y + 0.5);
      const color = this.colorOf(point.label);
      const spots = [
        [s.x + 9, s.y - 6, {}],
        [s.x - 9, s.y - 6, { end: true }],
        [s.x + 9, s.y + 6, { below: true }],
        [s.x - 9, s.y + 6, { end: true, below: true }],
      ];
      spots.some(([x, y, where]) => drawLabelTag(ctx, point.label, x, y, color, { minY: -Infinity, placed, ...where }));
    }
  }

  drawOverlay(ctx) {
    const hover = this.hover;
    if (hover && !this.drag && this.hovered < 0 && !this.spaceHeld) {
      drawCrosshair(ctx, this.viewport, hover.sx, hover.sy);
    }
  }
}

customElements.define("crowd-keypoint", CrowdKeypoint);
