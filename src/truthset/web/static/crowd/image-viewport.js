// The image stage shared by the image annotation tools: loads the photo without freezing the page,
// shows a downscaled copy, zooms and pans, and maps between screen and original-pixel coordinates.
//
// Coordinates: "original pixels" are those of img.naturalWidth x img.naturalHeight, which honour
// the EXIF orientation (Chrome's default `image-orientation: from-image`), so they are the frame
// the worker sees. "Stage points" are CSS pixels from the stage's top-left corner. The view maps
// one to the other: stage = original * zoom + offset.
//
// The photo and the annotations are drawn on two separate canvases. The photo may come from
// another origin without CORS headers, which taints its canvas; nothing ever reads pixels back
// from it. Tools that read pixels (segmentation) only read their own annotation data.

import { DicomImage, isDicomSource } from "./dicom-image.js";
import { PhotoDecoder, fetchPhotoBytes } from "./image-decoder.js";

/** Longest side of the copy that is kept for display; larger photos are downscaled once. */
export const MAX_DISPLAY_SIDE = 4096;

// Without a worker, sharper crops are cut on the main thread, which only stays quick for photos
// up to this size.
const MAIN_THREAD_CROP_PIXELS = 16e6;
const MAX_ZOOM = 64; // screen pixels per original pixel
const MIN_ZOOM_OF_FIT = 0.25;
const FIT_MARGIN = 16;
const KEEP_VISIBLE = 48; // pixels of the image that panning always leaves on the stage
const DETAIL_DELAY_MS = 150;

/**
 * Loads a photo for annotation without blocking the page. The size comes from an <img> decoded
 * asynchronously (`decoding="async"` + `img.decode()`), so it honours EXIF orientation as the
 * browser shows it. The display copy (longest side at most MAX_DISPLAY_SIDE) is cut in a worker
 * when the bytes can be fetched with CORS, else from the <img> with createImageBitmap.
 *
 *   const photo = await loadPhoto(url);
 *   photo.width, photo.height   // original pixels (EXIF orientation applied)
 *   photo.display               // ImageBitmap (or the <img>) to draw
 *   photo.displayScale          // display pixels per original pixel (<= 1)
 *   photo.decoder               // PhotoDecoder for sharper crops, or null
 */
export async function loadPhoto(src) {
  if (isDicomSource(src)) return loadDicomPhoto(src);
  const bytes = await fetchPhotoBytes(src);
  const img = new Image();
  img.decoding = "async";
  img.src = bytes ? URL.createObjectURL(bytes) : src;
  try {
    await img.decode();
  } finally {
    if (bytes) URL.revokeObjectURL(img.src);
  }
  const width = img.naturalWidth;
  const height = img.naturalHeight;
  if (!width || !height) throw new Error("the image has no pixels");
  const displayScale = Math.min(1, MAX_DISPLAY_SIDE / Math.max(width, height));
  const displayWidth = Math.max(1, Math.round(width * displayScale));
  const displayHeight = Math.max(1, Math.round(height * displayScale));
  const decoder = bytes ? await openDecoder(bytes, width, height) : null;
  let display = img;
  try {
    display = decoder
      ? await decoder.crop(0, 0, width, height, displayWidth, displayHeight)
      : await createImageBitmap(img, { resizeWidth: displayWidth, resizeHeight: displayHeight, resizeQuality: "high" });
  } catch (_) {
    // Some images cannot become bitmaps (an SVG without a size): draw the <img> itself.
  }
  return { img: decoder ? null : img, decoder, display, width, height, displayScale };
}

/** A DICOM object as a photo: `display` is the windowed display copy (a canvas the viewer
 * repaints when the window changes); sharper crops come from the server (`dicom.crop`). */
async function loadDicomPhoto(src) {
  const dicom = await DicomImage.open(src);
  const { width, height } = dicom;
  return { img: null, decoder: null, dicom, display: dicom.render(), width, height, displayScale: dicom.displayWidth / width };
}

async function openDecoder(bytes, width, height) {
  let decoder = null;
  try {
    decoder = await PhotoDecoder.open(bytes);
    // A browser that orients differently in workers would shift every coordinate: not used.
    if (decoder.width === width && decoder.height === height) return decoder;
  } catch (_) {
    // No workers here (a restrictive CSP): the main thread cuts the copy.
  }
  decoder?.close();
  return null;
}

export class ImageViewport {
  /** `stage` is a positioned element the canvases fill; `drawAnnotations(ctx)` paints the
   * annotation layer in stage coordinates; `onViewChange()` runs after every zoom or pan. */
  constructor(stage, { drawAnnotations, onViewChange }) {
    this.stage = stage;
    this.photoCanvas = this.addCanvas("photo");
    // "upper-canvas" is the top canvas's class in AWS's tools; gallery templates align overlays
    // with it (semantic-segmentation-bounding-box-validation).
    this.annotationCanvas = this.addCanvas("annotations upper-canvas");
    this.drawAnnotations = drawAnnotations;
    this.onViewChange = onViewChange;
    this.photo = null;
    this.zoom = 1;
    this.x = 0;
    this.y = 0;
    this.fitted = true;
    this.width = 0;
    this.height = 0;
    this.dpr = 1;
    this.detail = null;
    this.detailTimer = 0;
    this.frame = 0;
    this.photoDirty = true;
    this.resizeObserver = new ResizeObserver(() => this.resize());
    this.resizeObserver.observe(stage);
  }

  addCanvas(className) {
    const canvas = document.createElement("canvas");
    canvas.className = className;
    this.stage.appendChild(canvas);
    return canvas;
  }

  /** Stops observing and frees the decoder's worker; call when the element leaves the page. */
  disconnect() {
    this.resizeObserver.disconnect();
    cancelAnimationFrame(this.frame);
    this.frame = 0;
    clearTimeout(this.detailTimer);
    this.photo?.decoder?.close();
    if (this.photo) this.photo.decoder = null;
  }

  /** Resumes observing after disconnect(). */
  reconnect() {
    this.resizeObserver.observe(this.stage);
  }

  /** Shows a photo from loadPhoto() and fits it to the stage. */
  setPhoto(photo) {
    this.detail?.bitmap.close?.();
    this.detail = null;
    if (this.photo !== photo) {
      this.photo?.decoder?.close();
      this.unlistenDicom?.();
      this.unlistenDicom = photo?.dicom?.onChange(() => this.dicomChanged());
    }
    this.photo = photo;
    this.resize();
    this.fit();
  }

  // A new window or invert repaints the display copy and the sharper crop; a new frame drops
  // the crop (it shows the other frame) and cuts a new one.
  dicomChanged() {
    const { dicom } = this.photo;
    if (this.detail && this.detail.frame !== dicom.frame) {
      this.detail = null;
      this.scheduleDetail();
    } else if (this.detail) dicom.repaint(this.detail.bitmap);
    this.photoDirty = true;
    this.requestDraw();
  }

  get imageWidth() {
    return this.photo ? this.photo.width : 0;
  }

  get imageHeight() {
    return this.photo ? this.photo.height : 0;
  }

  resize() {
    const rect = this.stage.getBoundingClientRect();
    const width = Math.max(1, Math.round(rect.width));
    const height = Math.max(1, Math.round(rect.height));
    const dpr = window.devicePixelRatio || 1;
    if (width === this.width && height === this.height && dpr === this.dpr) return;
    const centre = this.toImage(this.width / 2, this.height / 2);
    this.width = width;
    this.height = height;
    this.dpr = dpr;
    for (const canvas of [this.photoCanvas, this.annotationCanvas]) {
      canvas.width = Math.round(width * dpr);
      canvas.height = Math.round(height * dpr);
    }
    if (this.fitted) this.fit();
    else this.centreOn(centre.x, centre.y);
  }

  get fitZoom() {
    if (!this.photo) return 1;
    const w = Math.max(1, this.width - 2 * FIT_MARGIN);
    const h = Math.max(1, this.height - 2 * FIT_MARGIN);
    return Math.min(w / this.photo.width, h / this.photo.height);
  }

  /** Shows the whole image, centred. */
  fit() {
    this.zoom = this.fitZoom;
    this.x = (this.width - this.imageWidth * this.zoom) / 2;
    this.y = (this.height - this.imageHeight * this.zoom) / 2;
    this.fitted = true;
    this.viewChanged();
  }

  centreOn(ix, iy) {
    this.x = this.width / 2 - ix * this.zoom;
    this.y = this.height / 2 - iy * this.zoom;
    this.viewChanged();
  }

  /** Multiplies the zoom by `factor`, keeping the image point under stage point (sx, sy) still. */
  zoomAt(factor, sx = this.width / 2, sy = this.height / 2) {
    const minZoom = Math.min(this.fitZoom * MIN_ZOOM_OF_FIT, 1);
    const zoom = Math.min(MAX_ZOOM, Math.max(minZoom, this.zoom * factor));
    const applied = zoom / this.zoom;
    this.x = sx - (sx - this.x) * applied;
    this.y = sy - (sy - this.y) * applied;
    this.zoom = zoom;
    this.fitted = false;
    this.viewChanged();
  }

  panBy(dx, dy) {
    this.x += dx;
    this.y += dy;
    this.fitted = false;
    this.viewChanged();
  }

  // Panning never loses the image: a strip of it stays on the stage.
  clampPan() {
    const w = this.imageWidth * this.zoom;
    const h = this.imageHeight * this.zoom;
    const keepX = Math.min(KEEP_VISIBLE, w);
    const keepY = Math.min(KEEP_VISIBLE, h);
    this.x = Math.min(this.width - keepX, Math.max(keepX - w, this.x));
    this.y = Math.min(this.height - keepY, Math.max(keepY - h, this.y));
  }

  viewChanged() {
    this.clampPan();
    this.photoDirty = true;
    this.requestDraw();
    this.scheduleDetail();
    this.onViewChange?.();
  }

  /** Original-pixel coordinates (fractional) of a stage point. */
  toImage(sx, sy) {
    return { x: (sx - this.x) / this.zoom, y: (sy - this.y) / this.zoom };
  }

  /** Stage point of original-pixel coordinates. */
  toStage(ix, iy) {
    return { x: ix * this.zoom + this.x, y: iy * this.zoom + this.y };
  }

  /** Stage point of a mouse or pointer event. */
  stagePoint(event) {
    const rect = this.annotationCanvas.getBoundingClientRect();
    return { x: event.clientX - rect.left, y: event.clientY - rect.top };
  }

  /** Where the whole image currently is, in client (viewport) CSS pixels. */
  imageRect() {
    const rect = this.annotationCanvas.getBoundingClientRect();
    return {
      left: rect.left + this.x,
      top: rect.top + this.y,
      width: this.imageWidth * this.zoom,
      height: this.imageHeight * this.zoom,
    };
  }

  /** True when the stage point lies on the image. */
  onImage(sx, sy) {
    const p = this.toImage(sx, sy);
    return p.x >= 0 && p.y >= 0 && p.x <= this.imageWidth && p.y <= this.imageHeight;
  }

  /** Redraws on the next animation frame (several requests in one frame draw once). */
  requestDraw() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      if (this.photoDirty) this.drawPhoto();
      this.photoDirty = false;
      const ctx = this.annotationCanvas.getContext("2d");
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.clearRect(0, 0, this.annotationCanvas.width, this.annotationCanvas.height);
      ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
      if (this.photo) this.drawAnnotations(ctx);
    });
  }

  drawPhoto() {
    const ctx = this.photoCanvas.getContext("2d");
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.clearRect(0, 0, this.photoCanvas.width, this.photoCanvas.height);
    if (!this.photo) return;
    ctx.setTransform(this.dpr, 0, 0, this.dpr, 0, 0);
    const { display, width, height, displayScale } = this.photo;
    const w = width * this.zoom;
    const h = height * this.zoom;
    ctx.fillStyle = "rgba(0, 0, 0, 0.35)";
    ctx.fillRect(this.x + 2, this.y + 3, w, h);
    // Past 2 screen pixels per source pixel, show crisp pixels: labellers zoom in to see edges.
    ctx.imageSmoothingEnabled = this.zoom / displayScale < 2;
    ctx.imageSmoothingQuality = "high";
    ctx.drawImage(display, this.x, this.y, w, h);
    const detail = this.detail;
    if (detail) {
      ctx.imageSmoothingEnabled = this.zoom * detail.sw < 2 * detail.bitmap.width;
      const p = this.toStage(detail.sx, detail.sy);
      ctx.drawImage(detail.bitmap, p.x, p.y, detail.sw * this.zoom, detail.sh * this.zoom);
    }
  }

  // When the worker zooms past the display copy's resolution, a sharper crop of the visible
  // region is cut from the original image, asynchronously, once the view has settled.
  scheduleDetail() {
    clearTimeout(this.detailTimer);
    const photo = this.photo;
    if (!photo || photo.displayScale >= 1 || photo.display === photo.img) return;
    if (!photo.decoder && !photo.dicom && photo.width * photo.height > MAIN_THREAD_CROP_PIXELS) return;
    if (this.zoom <= photo.displayScale * 1.25) return;
    this.detailTimer = setTimeout(() => this.loadDetail(), DETAIL_DELAY_MS);
  }

  async loadDetail() {
    const photo = this.photo;
    const a = this.toImage(0, 0);
    const b = this.toImage(this.width, this.height);
    const sx = Math.max(0, Math.floor(a.x));
    const sy = Math.max(0, Math.floor(a.y));
    const sw = Math.min(photo.width, Math.ceil(b.x)) - sx;
    const sh = Math.min(photo.height, Math.ceil(b.y)) - sy;
    if (sw <= 0 || sh <= 0) return;
    const scale = Math.min(1, this.zoom * this.dpr);
    const view = `${this.zoom},${this.x},${this.y}`;
    const rw = Math.max(1, Math.round(sw * scale));
    const rh = Math.max(1, Math.round(sh * scale));
    let bitmap;
    try {
      bitmap = photo.dicom
        ? await photo.dicom.crop(sx, sy, sw, sh, rw, rh)
        : photo.decoder
        ? await photo.decoder.crop(sx, sy, sw, sh, rw, rh)
        : await createImageBitmap(photo.img, sx, sy, sw, sh, { resizeWidth: rw, resizeHeight: rh, resizeQuality: "high" });
    } catch (_) {
      return;
    }
    const stale = photo.dicom && bitmap.dicomFrame !== photo.dicom.frame;
    if (this.photo !== photo || stale || view !== `${this.zoom},${this.x},${this.y}`) {
      bitmap.close?.();
      return;
    }
    this.detail?.bitmap.close?.();
    this.detail = { bitmap, sx, sy, sw, sh, frame: bitmap.dicomFrame };
    this.photoDirty = true;
    this.requestDraw();
  }
}
