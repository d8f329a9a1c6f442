// Vertex paths on an image, the one tool behind <crowd-polygon> (closed paths), <crowd-polyline>
// (open paths of 2 or more vertices) and <crowd-line> (open paths of exactly 2): drawing,
// selecting, reshaping, moving, relabelling and deleting them. A subclass sets the static
// configuration (closed, minVertices, maxVertices, outputKey, noun) and its hints.
//
// Output: {inputImageProperties: {height, width}, initialValueModified?, <outputKey>: [{label,
// vertices: [{x, y}]}]}, vertices in whole original pixels (0..width, 0..height: pixel corners,
// like box edges).
//
// Drawing: each click adds a vertex (a press may be dragged to adjust it). A closed path is closed
// by clicking its first vertex or Enter (3 vertices at least); an open path is finished by Enter
// or a click on its last vertex, and a path of maxVertices finishes by itself (a line can also be
// drawn in one drag). Backspace removes the last vertex, Esc discards the draft. A click on a
// path's outline selects it; a click elsewhere (also inside a polygon: objects often lie inside
// larger regions) starts a new one. On the selected path: drag a vertex to move it, drag a segment
// to insert a vertex (to move a line, which cannot take more), Alt+click a vertex to remove it,
// drag inside a polygon to move it (Shift+click there starts a new polygon instead).
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

/** Paths of an initial value: `[{label, vertices: [{x, y}]}]` or `{<key>: [...]}`, vertices
 * rounded and clipped to the image; paths with fewer than `min` vertices are dropped and those
 * with more than `max` keep their first `max`. */
export function pathsFromInitialValue(value, width, height, { key, min, max = Infinity }) {
  const list = Array.isArray(value) ? value : value?.[key];
  if (!Array.isArray(list)) return [];
  const paths = [];
  for (const item of list) {
    const vertices = (Array.isArray(item?.vertices) ? item.vertices : [])
      .filter((v) => Number.isFinite(Number(v?.x)) && Number.isFinite(Number(v?.y)))
      .map((v) => ({
        x: clamp(Math.round(Number(v.x)), 0, width),
        y: clamp(Math.round(Number(v.y)), 0, height),
      }))
      .slice(0, max);
    if (vertices.length >= min) paths.push({ label: String(item.label ?? ""), vertices });
  }
  return paths;
}

function copyPaths(paths) {
  return paths.map((p) => ({ label: p.label, vertices: p.vertices.map((v) => ({ x: v.x, y: v.y })) }));
}

export class PathAnnotator extends ShapeListAnnotator {
  static closed = true;
  static minVertices = 3;
  static maxVertices = Infinity;
  static outputKey = "polygons";
  static noun = "polygon";

  constructor() {
    super();
    this.paths = [];
    this.draft = null;
  }

  get config() {
    return this.constructor;
  }

  get shapes() {
    return this.paths;
  }

  emptyState() {
    return { paths: [] };
  }

  snapshot() {
    return { paths: copyPaths(this.paths) };
  }

  restore(state) {
    this.paths = copyPaths(state.paths);
    this.clearSelection();
  }

  applyInitialValue(value) {
    const { outputKey: key, minVertices: min, maxVertices: max } = this.config;
    this.paths = pathsFromInitialValue(value, this.photo.width, this.photo.height, { key, min, max });
    for (const path of this.paths) this.labelIndex(path.label);
  }

  outputValue() {
    return { [this.config.outputKey]: copyPaths(this.paths) };
  }

  validateAnnotations() {
    if (!this.draft) return null;
    const how = this.config.closed ? "click its first point or press Enter" : "press Enter";
    return `Finish the ${this.config.noun} you are drawing (${how}), or press Esc to discard it.`;
  }

  shapeItems() {
    return this.paths.map((path, i) => ({
      label: path.label,
      detail: `${path.vertices.length} points`,
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
    this.paths.splice(index, 1);
    this.selected = -1;
    this.hovered = -1;
    this.edited();
  }

  relabelSelection(index) {
    const path = this.paths[this.selected];
    if (!path || path.label === this.labels[index]) return false;
    this.recordUndo();
    path.label = this.labels[index];
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
    const next = nextSelection(this.selected, this.paths.length, step);
    this.selectShape(next);
    return next >= 0;
  }

  nudgeSelection(dx, dy) {
    const path = this.paths[this.selected];
    if (!path || this.draft) return false;
    this.recordUndo();
    this.translate(path, path.vertices, dx, dy);
    return true;
  }

  // Moves a path as a whole, stopping at the image border.
  translate(path, from, dx, dy) {
    const xs = from.map((v) => v.x);
    const ys = from.map((v) => v.y);
    const mx = clamp(dx, -Math.min(...xs), this.photo.width - Math.max(...xs));
    const my = clamp(dy, -Math.min(...ys), this.photo.height - Math.max(...ys));
    path.vertices = from.map((v) => ({ x: v.x + mx, y: v.y + my }));
  }

  toolKey(event) {
    if (event.key === "Enter" && this.draft) {
      this.finishDraft();
      return true;
    }
    return false;
  }

  undo() {
    if (this.draft) this.removeDraftVertex();
    else super.undo();
  }

  /** Whether the draft may become a path: enough vertices, and a polygon must have an area. */
  draftComplete() {
    const vertices = this.draft.vertices;
    if (vertices.length < this.config.minVertices) return false;
    if (this.config.closed) return polygonArea(vertices) > 0;
    return vertices.some((v) => v.x !== vertices[0].x || v.y !== vertices[0].y);
  }

  finishDraft() {
    if (!this.draftComplete()) return;
    const draft = this.draft;
    this.draft = null;
    this.drag = null;
    this.recordUndo();
    this.paths.push({ label: draft.label, vertices: draft.vertices });
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

  /** The vertex under the pointer on the selected or hovered path: {index, vertex}. */
  vertexAt(p) {
    for (const index of [this.selected, this.hovered]) {
      const path = this.paths[index];
      const vertex = path ? path.vertices.findIndex((v) => this.near(v, p)) : -1;
      if (vertex >= 0) return { index, vertex };
    }
    return null;
  }

  /** The segment of the selected path under the pointer: index of its first vertex, or -1. */
  edgeAt(p) {
    const path = this.paths[this.selected];
    return path ? this.edgeIndex(path, p) : -1;
  }

  edgeIndex(path, p) {
    const vs = path.vertices.map((v) => this.viewport.toStage(v.x, v.y));
    const segments = this.config.closed ? vs.length : vs.length - 1;
    for (let i = 0; i < segments; i++) {
      const a = vs[i];
      const b = vs[(i + 1) % vs.length];
      if (distanceToSegment(p.sx, p.sy, a.x, a.y, b.x, b.y) <= HIT_RADIUS / 2 + 1) return i;
    }
    return -1;
  }

  /** The last-drawn path whose outline is under the pointer, or -1. Interiors are left free for
   * drawing, since objects often lie inside larger regions (a car on the road). */
  outlineAt(p) {
    for (let i = this.paths.length - 1; i >= 0; i--) {
      if (this.edgeIndex(this.paths[i], p) >= 0) return i;
    }
    return -1;
  }

  insideSelected(p) {
    const path = this.paths[this.selected];
    return this.config.closed && Boolean(path) && pointInPolygon(p.x, p.y, path.vertices);
  }

  /** A drag on the selected path's segment inserts a vertex, unless it is full (a line): then it
   * moves the path. */
  get selectedIsFull() {
    const path = this.paths[this.selected];
    return Boolean(path) && path.vertices.length >= this.config.maxVertices;
  }

  startMove(index) {
    const origin = this.paths[index].vertices.map((v) => ({ ...v }));
    this.drag = { kind: "move", index, origin, moved: false };
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
    if (edge >= 0 && this.selectedIsFull) return this.startMove(this.selected);
    if (edge >= 0) {
      this.recordUndo();
      this.paths[this.selected].vertices.splice(edge + 1, 0, this.snap(p));
      this.drag = { kind: "vertex", index: this.selected, vertex: edge + 1, moved: true };
      return this.edited();
    }
    const outline = p.shift ? -1 : this.outlineAt(p);
    if (outline >= 0) {
      this.drag = { kind: "select", index: outline, moved: false };
    } else if (!p.shift && this.insideSelected(p)) {
      this.startMove(this.selected);
    } else {
      this.selected = -1;
      this.draft = { label: this.labels[this.currentLabel] ?? "", vertices: [] };
      this.draftDown(p);
    }
  }

  draftDown(p) {
    const vertices = this.draft.vertices;
    const vertex = this.snap(p);
    const ends = this.config.closed ? vertices[0] : vertices[vertices.length - 1];
    // Clicking the closing vertex again finishes, also when it was clicked off the image and snapped.
    const onEnd = ends && (this.near(ends, p) || (ends.x === vertex.x && ends.y === vertex.y));
    if (vertices.length >= this.config.minVertices && onEnd) return this.finishDraft();
    const last = vertices[vertices.length - 1];
    if (!last || last.x !== vertex.x || last.y !== vertex.y) vertices.push(vertex);
    // A two-vertex path can be drawn in one drag: the press places both ends, the drag moves the
    // second; a press without a drag keeps only the first and waits for a click.
    const stretch = this.config.maxVertices === 2 && vertices.length === 1;
    if (stretch) vertices.push({ ...vertex });
    this.drag = { kind: "draft", vertex: vertices.length - 1, moved: !stretch, stretch };
    if (vertices.length >= this.config.maxVertices && !stretch) return this.finishDraft();
    this.renderAll();
  }

  removeVertex(hit) {
    const path = this.paths[hit.index];
    this.selected = hit.index;
    if (path.vertices.length > this.config.minVertices) {
      this.recordUndo();
      path.vertices.splice(hit.vertex, 1);
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
    else if (drag.kind === "vertex") this.paths[drag.index].vertices[drag.vertex] = this.snap(p);
    else if (drag.kind === "move") {
      const path = this.paths[drag.index];
      this.translate(path, drag.origin, Math.round(p.x - start.x), Math.round(p.y - start.y));
    }
  }

  toolUp(_p, _start, cancelled) {
    const drag = this.drag;
    this.drag = null;
    if (!drag) return;
    if (drag.kind === "draft" && drag.stretch) return this.endStretch(drag);
    const edit = drag.kind === "vertex" || drag.kind === "move";
    if (cancelled && drag.moved && edit) this.restore(this.undoStack.pop());
    else if (drag.kind === "select" && !drag.moved) this.selected = drag.index;
    else if (drag.moved && edit) return this.edited();
    this.renderAll();
  }

  endStretch(drag) {
    if (drag.moved && this.draftComplete()) return this.finishDraft();
    this.draft.vertices.length = 1;
    this.renderAll();
  }

  toolHover(p) {
    const vertex = this.vertexAt(p);
    this.hovered = vertex ? vertex.index : this.outlineAt(p);
  }

  cursorAt(p) {
    if (this.draft) {
      const { vertices } = this.draft;
      const end = this.config.closed ? vertices[0] : vertices[vertices.length - 1];
      const closing = vertices.length >= this.config.minVertices && end && this.near(end, p);
      return closing ? "pointer" : "crosshair";
    }
    if (this.drag?.kind === "move") return "move";
    if (this.drag) return "grabbing";
    if (p.shift) return "crosshair";
    if (this.vertexAt(p)) return p.alt ? "not-allowed" : "grab";
    if (this.edgeAt(p) >= 0) return this.selectedIsFull ? "move" : "copy";
    if (this.outlineAt(p) >= 0) return "pointer";
    return this.insideSelected(p) ? "move" : "crosshair";
  }

  // ---- drawing --------------------------------------------------------------------------------

  drawAnnotations(ctx) {
    const order = this.paths.map((_, i) => i).filter((i) => i !== this.selected);
    if (this.selected >= 0) order.push(this.selected);
    for (const i of order) this.drawPath(ctx, this.paths[i], i === this.selected, i === this.hovered);
  }

  drawPath(ctx, path, selected, hovered) {
    const color = this.colorOf(path.label);
    const points = path.vertices.map((v) => this.viewport.toStage(v.x, v.y));
    const closed = this.config.closed;
    ctx.save();
    this.tracePath(ctx, points, closed);
    if (closed) {
      ctx.fillStyle = withAlpha(color, selected ? 0.3 : hovered ? 0.24 : 0.16);
      ctx.fill();
    }
    ctx.lineJoin = "round";
    ctx.lineCap = "round";
    ctx.lineWidth = (selected ? 4.5 : 3.5) + (closed ? 0 : 1);
    ctx.strokeStyle = "rgba(0, 0, 0, 0.35)";
    ctx.stroke();
    ctx.lineWidth = (selected || hovered ? 2.5 : 2) + (closed ? 0 : 1);
    ctx.strokeStyle = color;
    ctx.stroke();
    ctx.restore();
    const showAll = selected || hovered;
    points.forEach((s, i) => {
      const end = !closed && (i === 0 || i === points.length - 1);
      if (showAll || end) drawVertex(ctx, s.x, s.y, color, { radius: selected ? 4.5 : 3.5 });
    });
    const top = points.reduce((a, b) => (b.y < a.y ? b : a), points[0]);
    drawLabelTag(ctx, path.label, top.x - 4, top.y - 6, color, { minY: Math.max(0, this.viewport.y) });
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
    const { vertices } = this.draft;
    const points = vertices.map((v) => this.viewport.toStage(v.x, v.y));
    const closed = this.config.closed;
    const endIndex = closed ? 0 : points.length - 1;
    const closing = hover && vertices.length >= this.config.minVertices && this.near(vertices[endIndex], hover);
    ctx.save();
    if (closed && points.length >= 2) {
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
    points.forEach((s, i) =>
      drawVertex(ctx, s.x, s.y, color, { radius: i === endIndex ? 5 : 3.5, ring: i === endIndex && closing }),
    );
  }
}
