// Zoom and pan of the classifiers' image stage (crowd-image-stage.js), and, for DICOM images,
// the sharper crop shown when the worker zooms past the display copy. The fitted frame is
// scaled with a CSS transform (origin top left), so the overlay inside it follows.
//
//   wheel: zoom at the pointer   drag: pan   right-drag (DICOM): window/level
//   + / -: zoom   F: fit

const MAX_ZOOM = 32;
const DETAIL_DELAY_MS = 150;

export class StageView {
  /** `stage` holds `frame`; `imageSize()` gives the image's original pixels {width, height};
   * `dicom()` the DicomImage shown, or null; `onWindowDrag(dx, dy)` gets right-drags. */
  constructor(stage, frame, { imageSize, dicom, onWindowDrag }) {
    this.stage = stage;
    this.frame = frame;
    this.imageSize = imageSize;
    this.dicom = dicom;
    this.onWindowDrag = onWindowDrag;
    this.zoom = 1;
    this.x = 0;
    this.y = 0;
    this.drag = null;
    this.detail = null;
    this.detailTimer = 0;
    frame.style.transformOrigin = "0 0";
    stage.addEventListener("wheel", (e) => this.wheel(e), { passive: false });
    stage.addEventListener("pointerdown", (e) => this.pointerDown(e));
    stage.addEventListener("pointermove", (e) => this.pointerMove(e));
    stage.addEventListener("pointerup", (e) => this.pointerUp(e));
    stage.addEventListener("pointercancel", (e) => this.pointerUp(e));
    stage.addEventListener("contextmenu", (e) => this.dicom() && e.preventDefault());
  }

  get zoomed() {
    return this.zoom !== 1 || this.x !== 0 || this.y !== 0;
  }

  /** Back to the fitted image. */
  reset() {
    this.zoom = 1;
    this.x = this.y = 0;
    this.apply();
  }

  /** Multiplies the zoom, keeping the client point (cx, cy) still (default: the centre). */
  zoomAt(factor, cx, cy) {
    const rect = this.frame.getBoundingClientRect();
    const px = cx ?? rect.left + rect.width / 2;
    const py = cy ?? rect.top + rect.height / 2;
    const zoom = Math.min(MAX_ZOOM, Math.max(1, this.zoom * factor));
    const localX = (px - rect.left) / this.zoom;
    const localY = (py - rect.top) / this.zoom;
    this.x += px - localX * zoom - rect.left;
    this.y += py - localY * zoom - rect.top;
    this.zoom = zoom;
    if (zoom === 1) this.x = this.y = 0;
    this.apply();
  }

  apply() {
    this.frame.style.transform = this.zoomed ? `translate(${this.x}px, ${this.y}px) scale(${this.zoom})` : "";
    this.stage.style.cursor = this.zoomed ? "grab" : "";
    this.scheduleDetail();
  }

  wheel(event) {
    if (this.frame.hidden) return;
    event.preventDefault();
    const unit = event.deltaMode === 1 ? 33 : event.deltaMode === 2 ? 400 : 1;
    const delta = Math.max(-300, Math.min(300, event.deltaY * unit));
    this.zoomAt(Math.exp(-delta * 0.002), event.clientX, event.clientY);
  }

  pointerDown(event) {
    if (this.frame.hidden || this.drag) return;
    const windowing = event.button === 2 && this.dicom();
    if (!windowing && event.button !== 0) return;
    event.preventDefault();
    this.stage.setPointerCapture(event.pointerId);
    this.drag = { id: event.pointerId, kind: windowing ? "window" : "pan", x: event.clientX, y: event.clientY };
  }

  pointerMove(event) {
    const drag = this.drag;
    if (!drag || drag.id !== event.pointerId) return;
    const dx = event.clientX - drag.x;
    const dy = event.clientY - drag.y;
    drag.x = event.clientX;
    drag.y = event.clientY;
    if (drag.kind === "window") this.onWindowDrag(dx, dy);
    else if (this.zoomed) {
      this.x += dx;
      this.y += dy;
      this.apply();
    }
  }

  pointerUp(event) {
    if (this.drag?.id !== event.pointerId) return;
    this.drag = null;
    if (this.stage.hasPointerCapture(event.pointerId)) this.stage.releasePointerCapture(event.pointerId);
  }

  /** Zoom keys; true when used. */
  handleKey(event) {
    if (this.frame.hidden || event.ctrlKey || event.metaKey || event.altKey) return false;
    if (event.key === "+" || event.key === "=") this.zoomAt(1.25);
    else if (event.key === "-" || event.key === "_") this.zoomAt(0.8);
    else if (event.key === "f" || event.key === "F") this.reset();
    else return false;
    return true;
  }

  // ---- the sharper DICOM crop ---------------------------------------------------------------

  dropDetail() {
    this.detail?.remove();
    this.detail = null;
  }

  scheduleDetail() {
    clearTimeout(this.detailTimer);
    const dicom = this.dicom();
    if (!dicom) return;
    if (dicom.displayWidth >= dicom.width) return; // the display copy is the full resolution
    const rect = this.frame.getBoundingClientRect();
    const screenPerImage = (rect.width * (window.devicePixelRatio || 1)) / dicom.width;
    if (screenPerImage <= (dicom.displayWidth / dicom.width) * 1.25) {
      this.dropDetail();
      return;
    }
    this.detailTimer = setTimeout(() => this.loadDetail(dicom), DETAIL_DELAY_MS);
  }

  async loadDetail(dicom) {
    const rect = this.frame.getBoundingClientRect();
    const view = this.stage.getBoundingClientRect();
    const { width, height } = this.imageSize();
    const perCss = width / rect.width;
    const sx = Math.max(0, Math.floor((Math.max(rect.left, view.left) - rect.left) * perCss));
    const sy = Math.max(0, Math.floor((Math.max(rect.top, view.top) - rect.top) * perCss));
    const ex = Math.min(width, Math.ceil((Math.min(rect.right, view.right) - rect.left) * perCss));
    const ey = Math.min(height, Math.ceil((Math.min(rect.bottom, view.bottom) - rect.top) * perCss));
    const sw = ex - sx;
    const sh = ey - sy;
    if (sw <= 0 || sh <= 0) return;
    const scale = Math.min(1, (window.devicePixelRatio || 1) / perCss);
    const state = `${this.zoom},${this.x},${this.y},${dicom.frame}`;
    let canvas;
    try {
      canvas = await dicom.crop(sx, sy, sw, sh, Math.max(1, Math.round(sw * scale)), Math.max(1, Math.round(sh * scale)));
    } catch (_) {
      return;
    }
    if (state !== `${this.zoom},${this.x},${this.y},${dicom.frame}` || this.dicom() !== dicom) return;
    this.dropDetail();
    canvas.className = "dicom-detail";
    canvas.setAttribute("part", "image-detail");
    Object.assign(canvas.style, {
      left: `${(100 * sx) / width}%`,
      top: `${(100 * sy) / height}%`,
      width: `${(100 * sw) / width}%`,
      height: `${(100 * sh) / height}%`,
    });
    this.frame.insertBefore(canvas, this.frame.querySelector(".overlay"));
    this.detail = canvas;
  }

  /** After a new window: repaint the crop; after a new frame: cut a new one. */
  dicomChanged() {
    const dicom = this.dicom();
    if (!this.detail || !dicom) return;
    if (this.detail.dicomFrame !== dicom.frame) {
      this.dropDetail();
      this.scheduleDetail();
    } else dicom.repaint(this.detail);
  }
}
