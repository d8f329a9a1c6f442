// Geometry and drawing of the vector annotations (boxes, points, polygons) in stage coordinates:
// one look for handles, vertices and label tags across the image tools.

export const HANDLE_SIZE = 9;
export const HIT_RADIUS = 8;
const TAG_FONT = '600 12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
const TAG_HEIGHT = 19;

export function clamp(value, low, high) {
  return Math.min(high, Math.max(low, value));
}

/** "rgba(...)" of a "#rrggbb" colour with the given opacity. */
export function withAlpha(hex, alpha) {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

/** Dark or white text, whichever reads better on the colour. */
export function textColorOn(hex) {
  const n = parseInt(hex.slice(1), 16);
  const [r, g, b] = [(n >> 16) & 255, (n >> 8) & 255, n & 255];
  return 0.299 * r + 0.587 * g + 0.114 * b > 160 ? "#111827" : "#ffffff";
}

export function distanceToSegment(px, py, ax, ay, bx, by) {
  const dx = bx - ax;
  const dy = by - ay;
  const lengthSquared = dx * dx + dy * dy;
  const t = lengthSquared ? clamp(((px - ax) * dx + (py - ay) * dy) / lengthSquared, 0, 1) : 0;
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}

/** Even-odd test; `vertices` are [{x, y}]. */
export function pointInPolygon(x, y, vertices) {
  let inside = false;
  for (let i = 0, j = vertices.length - 1; i < vertices.length; j = i++) {
    const a = vertices[i];
    const b = vertices[j];
    if (a.y > y !== b.y > y && x < ((b.x - a.x) * (y - a.y)) / (b.y - a.y) + a.x) inside = !inside;
  }
  return inside;
}

export function polygonArea(vertices) {
  let twice = 0;
  for (let i = 0, j = vertices.length - 1; i < vertices.length; j = i++) {
    twice += (vertices[j].x + vertices[i].x) * (vertices[j].y - vertices[i].y);
  }
  return Math.abs(twice) / 2;
}

/** A label tag whose bottom-left corner is (x, y); drawn below y instead when there is no room
 * above `minY`. Options: `end` puts the tag's right edge at x, `below` its top edge at y. With
 * `placed` (rectangles already drawn), a tag that would overlap one is not drawn and the call
 * returns false, so crowded annotations stay readable. */
export function drawLabelTag(ctx, text, x, y, color, options = {}) {
  const { minY = 0, placed = null, end = false, below = false } = options;
  ctx.save();
  ctx.font = TAG_FONT;
  const width = Math.ceil(ctx.measureText(text).width) + 12;
  // Tags stay on the stage (the canvas is scaled by the device pixel ratio).
  const stageWidth = ctx.canvas.width / ctx.getTransform().a;
  const left = Math.max(0, Math.min(stageWidth - width, end ? x - width : x));
  const top = below || y - TAG_HEIGHT < minY ? y : y - TAG_HEIGHT;
  const rect = { x: left, y: top, w: width, h: TAG_HEIGHT };
  if (placed?.some((r) => r.x < rect.x + rect.w && rect.x < r.x + r.w && r.y < rect.y + rect.h && rect.y < r.y + r.h)) {
    ctx.restore();
    return false;
  }
  placed?.push(rect);
  ctx.fillStyle = color;
  ctx.beginPath();
  ctx.roundRect(left, top, width, TAG_HEIGHT, top === y ? [0, 0, 4, 4] : [4, 4, 0, 0]);
  ctx.fill();
  ctx.fillStyle = textColorOn(color);
  ctx.textBaseline = "middle";
  ctx.fillText(text, left + 6, top + TAG_HEIGHT / 2 + 0.5);
  ctx.restore();
  return true;
}

/** A square resize handle centred on (x, y). */
export function drawHandle(ctx, x, y, color, active = false) {
  const size = active ? HANDLE_SIZE + 2 : HANDLE_SIZE;
  const half = size / 2;
  ctx.save();
  ctx.fillStyle = active ? color : "#ffffff";
  ctx.strokeStyle = active ? "#ffffff" : color;
  ctx.lineWidth = 1.5;
  ctx.shadowColor = "rgba(0, 0, 0, 0.35)";
  ctx.shadowBlur = 2;
  ctx.fillRect(Math.round(x - half), Math.round(y - half), size, size);
  ctx.shadowBlur = 0;
  ctx.strokeRect(Math.round(x - half) + 0.75, Math.round(y - half) + 0.75, size - 1.5, size - 1.5);
  ctx.restore();
}

/** A round vertex or keypoint marker centred on (x, y). */
export function drawVertex(ctx, x, y, color, { radius = 4.5, selected = false, ring = false } = {}) {
  ctx.save();
  ctx.shadowColor = "rgba(0, 0, 0, 0.45)";
  ctx.shadowBlur = 3;
  ctx.beginPath();
  ctx.arc(x, y, selected ? radius + 1.5 : radius, 0, Math.PI * 2);
  ctx.fillStyle = selected ? "#ffffff" : color;
  ctx.fill();
  ctx.shadowBlur = 0;
  ctx.lineWidth = selected ? 3 : 1.75;
  ctx.strokeStyle = selected ? color : "#ffffff";
  ctx.stroke();
  if (ring) {
    ctx.beginPath();
    ctx.arc(x, y, radius + 5, 0, Math.PI * 2);
    ctx.lineWidth = 1.5;
    ctx.strokeStyle = "#ffffff";
    ctx.setLineDash([3, 3]);
    ctx.stroke();
  }
  ctx.restore();
}

/** Thin guide lines through the cursor across the image, for aiming box corners and points. */
export function drawCrosshair(ctx, viewport, sx, sy) {
  const a = viewport.toStage(0, 0);
  const b = viewport.toStage(viewport.imageWidth, viewport.imageHeight);
  if (sx < a.x || sx > b.x || sy < a.y || sy > b.y) return;
  ctx.save();
  ctx.lineWidth = 1;
  for (const [color, dash] of [["rgba(0, 0, 0, 0.55)", 0], ["rgba(255, 255, 255, 0.85)", 4]]) {
    ctx.strokeStyle = color;
    ctx.setLineDash([4, 4]);
    ctx.lineDashOffset = dash;
    ctx.beginPath();
    ctx.moveTo(a.x, Math.round(sy) + 0.5);
    ctx.lineTo(b.x, Math.round(sy) + 0.5);
    ctx.moveTo(Math.round(sx) + 0.5, a.y);
    ctx.lineTo(Math.round(sx) + 0.5, b.y);
    ctx.stroke();
  }
  ctx.restore();
}

/** Clips later drawing to the image area, so annotations never spill onto the stage. */
export function clipToImage(ctx, viewport) {
  const a = viewport.toStage(0, 0);
  ctx.beginPath();
  ctx.rect(a.x, a.y, viewport.imageWidth * viewport.zoom, viewport.imageHeight * viewport.zoom);
  ctx.clip();
}
