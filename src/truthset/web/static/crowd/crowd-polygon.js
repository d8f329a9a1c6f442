// <crowd-polygon>: outline objects with polygons; select, move, reshape, relabel and delete them.
// Output (ground-truth.md 8.3): {inputImageProperties: {height, width}, initialValueModified?,
// polygons: [{label, vertices: [{x, y}]}]}, vertices in whole original pixels (0..width,
// 0..height: pixel corners, like box edges).
//
// Drawing: each click adds a vertex (a press may be dragged to adjust it); clicking the first
// vertex or Enter closes the polygon (3 vertices at least), Backspace removes the last vertex,
// Esc discards the draft. A click inside an existing polygon starts a new one (objects often lie
// inside larger regions); a click on a polygon's outline selects it. On the selected polygon: drag
// a vertex to move it, drag an edge to insert a vertex, Alt+click a vertex to remove it, drag
// inside to move the polygon (Shift+click there starts a new polygon instead).
import { ShapeListAnnotator } from "./image-annotator.js";
import { nextSelection } from "./image-input.js";
import {
  HIT_RADIUS,
  clamp,
  distanceToSegment,
  drawCrosshair,
  drawLabelTag,
  drawVertex,
  pointInPolygon,
  polygonArea,
  withAlpha,
} from "./image-shapes.js";

const CLICK_SLOP = 3;

/** Polygons of an initial value: `[{label, vertices: [{x, y}]}]` or `{polygons: [...]}`, vertices
 * rounded and clipped to the image; polygons with fewer than 3 vertices are dropped. */
export function polygonsFromInitialValue(value, width, height) {
  const list = Array.isArray(value) ? value : value?.polygons;
  if (!Array.isArray(list)) return [];
  const polygons = [];
  for (const item of list) {
    const vertices = (Array.isArray(item?.vertices) ? item.vertices : [])
      .filter((v) => Number.isFinite(Number(v?.x)) && Number.isFinite(Number(v?.y)))
      .map((v) => ({
        x: clamp(Math.round(Number(v.x)), 0, width),
        y: clamp(Math.round(Number(v.y)), 0, height),
      }));
    if (vertices.length >= 3) polygons.push({ label: String(item.label ?? ""), vertices });
  }
  return polygons;
}

function copyPolygons(polygons) {
  return polygons.map((p) => ({ label: p.label, vertices: p.vertices.map((v) => ({ x: v.x, y: v.y })) }));
}

class CrowdPolygon extends ShapeListAnnotator {
  constructor() {
    super();
    this.polygons = [];
    this.draft = null;
  }

  get shapes() {
    return this.polygons;
  }

  get hints() {
    return [
      ["<b>Click</b>", "add point"],
      ["<kbd>Enter</kbd>", "close"],
      ["<kbd>Esc</kbd>", "cancel"],
      ["<kbd>1</kbd>–<kbd>9</kbd>", "label"],
      ["<kbd>Del</kbd>", "delete"],
      ["<kbd>Alt</kbd>+<b>click</b>", "remove point"],
    ];
  }

  emptyState() {
    return { polygons: [] };
  }

  snapshot() {
    return { polygons: copyPolygons(this.polygons) };
  }

  restore(state) {
    this.polygons = copyPolygons(state.polygons);
    this.clearSelection();
  }

  applyInitialValue(value) {
    this.polygons = polygonsFromInitialValue(value, this.photo.width, this.photo.height);
    for (const polygon of this.polygons) this.labelIndex(polygon.label);
  }

  outputValue() {
    return { polygons: copyPolygons(this.polygons) };
  }

  validateAnnotations() {
    if (!this.draft) return null;
    return "Finish the polygon you are drawing (click its first point or press Enter), or press Esc to discard it.";
  }

  shapeItems() {
    return this.polygons.map((polygon, i) => ({
      label: polygon.label,
      detail: `${polygon.vertices.length} points`,
      selected: i === this.selected,
    }));
  }

  // ---- editing --------------------------------------------------------------------------------

  selectShape(index) {
    this.selected = index;
    this.renderAll();
  }

  deleteShape(index) {
    this.recordUndo();
    this.polygons.splice(index, 1);
    this.selected = -1;
    this.hovered = -1;
    this.edited();
  }

  relabelSelection(index) {
    const polygon = this.polygons[this.selected];
    if (!polygon || polygon.label === this.labels[index]) return false;
    this.recordUndo();
    polygon.label = this.labels[index];
    return true;
  }

  deleteSelection() {
    if (this.draft) return this.removeDraftVertex();
    if (this.selected < 0) return false;
    this.deleteShape(this.selected);
    return true;
  }

  removeDraftVertex() {
    this.draft.vertices.pop();
    if (!this.draft.vertices.length) this.draft = null;
    this.renderAll();
    return true;
  }

  cancel() {
    if (this.draft) {
      this.draft = null;
      this.drag = null;
      this.renderAll();
      return true;
    }
    if (this.selected < 0) return false;
    this.selected = -1;
    this.renderAll();
    return true;
  }

  cycleSelection(step) {
    if (this.draft) return false;
    const next = nextSelection(this.selected, this.polygons.length, step);
    this.selectShape(next);
    return next >= 0;
  }

  nudgeSelection(dx, dy) {
    const polygon = this.polygons[this.selected];
    if (!polygon || this.draft) return false;
    this.recordUndo();
    this.translate(polygon, polygon.vertices, dx, dy);
    return true;
  }

  // Moves a polygon as a whole, stopping at the image border.
  translate(polygon, from, dx, dy) {
    const xs = from.map((v) => v.x);
    const ys = from.map((v) => v.y);
    const mx = clamp(dx, -Math.min(...xs), this.photo.width - Math.max(...xs));
    const my = clamp(dy, -Math.min(...ys), this.photo.height - Math.max(...ys));
    polygon.vertices = from.map((v) => ({ x: v.x + mx, y: v.y + my }));
  }

  toolKey(event) {
    if (event.key === "Enter" && this.draft) {
      this.closeDraft();
      return true;
    }
    return false;
  }

  undo() {
    if (this.draft) this.removeDraftVertex();
    else super.undo();
  }

  closeDraft() {
    const draft = this.draft;
    if (draft.vertices.length < 3 || polygonArea(draft.vertices) === 0) return;
    this.draft = null;
    this.recordUndo();
    this.polygons.push({ label: draft.label, vertices: draft.vertices });
    this.edited();
  }

  // ---- pointer --------------------------------------------------------------------------------

  snap(p) {
    return {
      x: clamp(Math.round(p.x), 0, this.photo.width),
      y: clamp(Math.round(p.y), 0, this.photo.height),
    };
  }

  near(vertex, p) {
    const s = this.viewport.toStage(vertex.x, vertex.y);
    return Math.hypot(s.x - p.sx, s.y - p.sy) <= HIT_RADIUS;
  }

  /** The vertex under the pointer on the selected or hovered polygon: {index, vertex}. */
  vertexAt(p) {
    for (const index of [this.selected, this.hovered]) {
      const polygon = this.polygons[index];
      const vertex = polygon ? polygon.vertices.findIndex((v) => this.near(v, p)) : -1;
      if (vertex >= 0) return { index, vertex };
    }
    return null;
  }

  /** The edge of the selected polygon under the pointer: index of its first vertex, or -1. */
  edgeAt(p) {
    const polygon = this.polygons[this.selected];
    return polygon ? this.edgeIndex(polygon, p) : -1;
  }

  edgeIndex(polygon, p) {
    const vs = polygon.vertices.map((v) => this.viewport.toStage(v.x, v.y));
    return vs.findIndex((a, i) => {
      const b = vs[(i + 1) % vs.length];
      return distanceToSegment(p.sx, p.sy, a.x, a.y, b.x, b.y) <= HIT_RADIUS / 2 + 1;
    });
  }

  /** The last-drawn polygon whose outline is under the pointer, or -1. Interiors are left free
   * for drawing, since objects often lie inside larger regions (a car on the road). */
  outlineAt(p) {
    for (let i = this.polygons.length - 1; i >= 0; i--) {
      if (this.edgeIndex(this.polygons[i], p) >= 0) return i;
    }
    return -1;
  }

  insideSelected(p) {
    const polygon = this.polygons[this.selected];
    return Boolean(polygon) && pointInPolygon(p.x, p.y, polygon.vertices);
  }

  toolDown(p) {
    if (this.draft) return this.draftDown(p);
    const hit = p.shift ? null : this.vertexAt(p);
    if (hit && p.alt) return this.removeVertex(hit);
    if (hit) {
      this.selected = hit.index;
      this.drag = { kind: "vertex", ...hit, moved: false };
      return this.renderAll();
    }
    const edge = p.shift ? -1 : this.edgeAt(p);
    if (edge >= 0) {
      this.recordUndo();
      this.polygons[this.selected].vertices.splice(edge + 1, 0, this.snap(p));
      this.drag = { kind: "vertex", index: this.selected, vertex: edge + 1, moved: true };
      return this.edited();
    }
    const outline = p.shift ? -1 : this.outlineAt(p);
    if (outline >= 0) {
      this.drag = { kind: "select", index: outline, moved: false };
    } else if (!p.shift && this.insideSelected(p)) {
      const origin = this.polygons[this.selected].vertices.map((v) => ({ ...v }));
      this.drag = { kind: "move", index: this.selected, origin, moved: false };
    } else {
      this.selected = -1;
      this.draft = { label: this.labels[this.currentLabel] ?? "", vertices: [] };
      this.draftDown(p);
    }
  }

  draftDown(p) {
    const vertices = this.draft.vertices;
    const vertex = this.snap(p);
    const first = vertices[0];
    // Clicking the first vertex again closes, also when it was clicked off the image and snapped.
    const onFirst = first && (this.near(first, p) || (first.x === vertex.x && first.y === vertex.y));
    if (vertices.length >= 3 && onFirst) return this.closeDraft();
    const last = vertices[vertices.length - 1];
    if (!last || last.x !== vertex.x || last.y !== vertex.y) vertices.push(vertex);
    this.drag = { kind: "draft", vertex: vertices.length - 1, moved: true };
    this.renderAll();
  }

  removeVertex(hit) {
    const polygon = this.polygons[hit.index];
    this.selected = hit.index;
    if (polygon.vertices.length > 3) {
      this.recordUndo();
      polygon.vertices.splice(hit.vertex, 1);
      this.edited();
    }
  }

  toolMove(p, start) {
    const drag = this.drag;
    if (!drag) return;
    if (!drag.moved) {
      if (Math.hypot(p.sx - start.sx, p.sy - start.sy) < CLICK_SLOP) return;
      drag.moved = true;
      if (drag.kind === "vertex" || drag.kind === "move") this.recordUndo();
    }
    if (drag.kind === "draft") this.draft.vertices[drag.vertex] = this.snap(p);
    else if (drag.kind === "vertex") this.polygons[drag.index].vertices[drag.vertex] = this.snap(p);
    else if (drag.kind === "move") {
      const polygon = this.polygons[drag.index];
      this.translate(polygon, drag.origin, Math.round(p.x - start.x), Math.round(p.y - start.y));
    }
  }

  toolUp(_p, _start, cancelled) {
    const drag = this.drag;
    this.drag = null;
    if (!drag) return;
    const edit = drag.kind === "vertex" || drag.kind === "move";
    if (cancelled && drag.moved && edit) this.restore(this.undoStack.pop());
    else if (drag.kind === "select" && !drag.moved) this.selected = drag.index;
    else if (drag.moved && edit) return this.edited();
    this.renderAll();
  }

  toolHover(p) {
    const vertex = this.vertexAt(p);
    this.hovered = vertex ? vertex.index : this.outlineAt(p);
  }

  cursorAt(p) {
    if (this.draft) {
      const first = this.draft.vertices[0];
      return this.draft.vertices.length >= 3 && first && this.near(first, p) ? "pointer" : "crosshair";
    }
    if (this.drag?.kind === "move") return "move";
    if (this.drag) return "grabbing";
    if (p.shift) return "crosshair";
    if (this.vertexAt(p)) return p.alt ? "not-allowed" : "grab";
    if (this.edgeAt(p) >= 0) return "copy";
    if (this.outlineAt(p) >= 0) return "pointer";
    return this.insideSelected(p) ? "move" : "crosshair";
  }

  // ---- drawing --------------------------------------------------------------------------------

  drawAnnotations(ctx) {
    const order = this.polygons.map((_, i) => i).filter((i) => i !== this.selected);
    if (this.selected >= 0) order.push(this.selected);
    for (const i of order) this.drawPolygon(ctx, this.polygons[i], i === this.selected, i === this.hovered);
  }

  drawPolygon(ctx, polygon, selected, hovered) {
    const color = this.colorOf(polygon.label);
    const points = polygon.vertices.map((v) => this.viewport.toStage(v.x, v.y));
    ctx.save();
    this.tracePath(ctx, points, true);
    ctx.fillStyle = withAlpha(color, selected ? 0.3 : hovered ? 0.24 : 0.16);
    ctx.fill();
    ctx.lineJoin = "round";
    ctx.lineWidth = selected ? 4.5 : 3.5;
    ctx.strokeStyle = "rgba(0, 0, 0, 0.35)";
    ctx.stroke();
    ctx.lineWidth = selected || hovered ? 2.5 : 2;
    ctx.strokeStyle = color;
    ctx.stroke();
    ctx.restore();
    if (selected || hovered) {
      for (const s of points) drawVertex(ctx, s.x, s.y, color, { radius: selected ? 4.5 : 3.5 });
    }
    const top = points.reduce((a, b) => (b.y < a.y ? b : a), points[0]);
    drawLabelTag(ctx, polygon.label, top.x - 4, top.y - 6, color, { minY: Math.max(0, this.viewport.y) });
  }

  tracePath(ctx, points, closed) {
    ctx.beginPath();
    points.forEach((s, i) => (i ? ctx.lineTo(s.x, s.y) : ctx.moveTo(s.x, s.y)));
    if (closed) ctx.closePath();
  }

  drawOverlay(ctx) {
    const hover = this.hover;
    if (this.draft) this.drawDraft(ctx, hover);
    else if (hover && !this.drag && this.hovered < 0 && !this.spaceHeld) {
      drawCrosshair(ctx, this.viewport, hover.sx, hover.sy);
    }
  }

  drawDraft(ctx, hover) {
    const color = this.colorOf(this.draft.label);
    const points = this.draft.vertices.map((v) => this.viewport.toStage(v.x, v.y));
    const closing = hover && points.length >= 3 && this.near(this.draft.vertices[0], hover);
    ctx.save();
    if (points.length >= 2) {
      this.tracePath(ctx, hover && !this.drag ? [...points, { x: hover.sx, y: hover.sy }] : points, false);
      ctx.fillStyle = withAlpha(color, 0.12);
      ctx.fill();
    }
    this.tracePath(ctx, points, false);
    ctx.lineWidth = 2;
    ctx.strokeStyle = color;
    ctx.stroke();
    if (hover && !this.drag && points.length) {
      const last = points[points.length - 1];
      ctx.beginPath();
      ctx.moveTo(last.x, last.y);
      ctx.lineTo(hover.sx, hover.sy);
      ctx.setLineDash([6, 4]);
      ctx.stroke();
    }
    ctx.restore();
    points.forEach((s, i) => drawVertex(ctx, s.x, s.y, color, { radius: i ? 3.5 : 5, ring: i === 0 && closing }));
  }
}

customElements.define("crowd-polygon", CrowdPolygon);
