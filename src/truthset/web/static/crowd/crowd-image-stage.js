// The image area of the image classifiers: the image fitted to the space it has, and the
// verification `overlay` (Ground Truth's boundingBox, semanticSegmentation and
// instanceSegmentation shapes) drawn in the image's own pixel coordinates.
import { labelColor, parseAttr } from "./base.js";
import { DICOM_CSS, DicomControls } from "./dicom-controls.js";
import { DicomImage, isDicomSource } from "./dicom-image.js";
import { StageView } from "./stage-view.js";

// Beyond twice its size an image only gets blurrier, so the fit stops there.
const MAX_UPSCALE = 2;
const STAGE_PADDING = 16;

export const STAGE_CSS = `
  .stage { position: relative; flex: 1; min-height: 0; display: flex; align-items: center;
           justify-content: center; overflow: hidden; border-radius: 12px;
           background: var(--crowd-stage-background, #111827); }
  .frame { position: relative; flex: none; box-shadow: 0 4px 24px rgba(0, 0, 0, 0.35); }
  .frame[hidden] { display: none; }
  .image { display: block; width: 100%; height: 100%; user-select: none; }
  .image[hidden] { display: none; }
  .dicom-detail { position: absolute; pointer-events: none; }
  .overlay { position: absolute; inset: 0; pointer-events: none; }
  .frame.overlay-off .overlay { display: none; }
  .mask { position: absolute; inset: 0; width: 100%; height: 100%; opacity: 0.55;
          image-rendering: pixelated; }
  .mask.multiply { mix-blend-mode: multiply; opacity: 0.85; }
  .box { position: absolute; box-sizing: border-box; border: 2px solid var(--c);
         box-shadow: 0 0 0 1px rgba(0, 0, 0, 0.45), inset 0 0 0 1px rgba(0, 0, 0, 0.25); }
  .tag { position: absolute; left: -2px; bottom: 100%; max-width: 220px; padding: 1px 7px;
         font-size: 12px; font-weight: 600; line-height: 18px; white-space: nowrap;
         overflow: hidden; text-overflow: ellipsis; color: var(--t); background: var(--c);
         border-radius: 4px 4px 4px 0; }
  .box.tag-inside .tag { bottom: auto; top: 0; left: 0; border-radius: 0 0 4px 0; }
  .stage-message { position: absolute; margin: 0; color: #e5e7eb; font-size: 0.95rem; }
  .stage-message:empty { display: none; }
  .toolbar { display: flex; align-items: center; gap: 16px; flex-wrap: wrap; padding-top: 10px; }
  .toolbar[hidden] { display: none; }
  .overlay-toggle { display: inline-flex; align-items: center; gap: 8px; padding: 6px 10px;
                    font-size: 0.9rem; font-weight: 600; }
  .switch { position: relative; width: 30px; height: 18px; border-radius: 9px;
            background: #cbd5e1; transition: background 120ms; }
  .switch::after { content: ""; position: absolute; top: 2px; left: 2px; width: 14px;
                   height: 14px; border-radius: 50%; background: #fff; transition: left 120ms; }
  .overlay-toggle[aria-checked="true"] .switch { background: var(--crowd-accent); }
  .overlay-toggle[aria-checked="true"] .switch::after { left: 14px; }
  .legend { display: flex; flex-wrap: wrap; gap: 6px 14px; margin: 0; padding: 0;
            list-style: none; font-size: 0.9rem; color: #374151; }
  .legend li { display: inline-flex; align-items: center; gap: 6px; }
  .swatch { width: 12px; height: 12px; border-radius: 3px; background: var(--c);
            box-shadow: inset 0 0 0 1px rgba(0, 0, 0, 0.2); }
  .count { color: var(--crowd-muted); }
${DICOM_CSS}`;

function readableTextOn(hex) {
  const value = parseInt(hex.replace("#", "").padEnd(6, "0").slice(0, 6), 16);
  const [r, g, b] = [value >> 16, (value >> 8) & 255, value & 255];
  return 0.299 * r + 0.587 * g + 0.114 * b > 160 ? "#111827" : "#ffffff";
}

export class ImageStage {
  /** Renders into `container`; `altText()` gives the image's accessible name. */
  constructor(container, altText) {
    container.innerHTML = `
      <div class="stage" part="stage">
        <div class="frame" part="frame" hidden>
          <img class="image" part="image" decoding="async" alt="">
          <div class="overlay" part="overlay"></div>
        </div>
        <p class="stage-message" role="status"></p>
      </div>
      <div class="toolbar" part="overlay-toolbar" hidden>
        <button type="button" class="overlay-toggle" role="switch" aria-checked="true"
                aria-keyshortcuts="h">
          <span class="switch" aria-hidden="true"></span>Overlay <kbd aria-hidden="true">H</kbd>
        </button>
        <ul class="legend" aria-label="Overlay labels"></ul>
      </div>`;
    this.stage = container.querySelector(".stage");
    this.frame = container.querySelector(".frame");
    this.image = container.querySelector(".image");
    this.overlayLayer = container.querySelector(".overlay");
    this.message = container.querySelector(".stage-message");
    this.toolbar = container.querySelector(".toolbar");
    this.toggleButton = container.querySelector(".overlay-toggle");
    this.altText = altText;
    this.overlay = null;
    this.onProblem = () => {};
    this.toggleButton.addEventListener("click", () => this.toggleOverlay());
    this.image.addEventListener("load", () => this.onImageLoad());
    this.image.addEventListener("error", () => this.showMessage("The image could not be loaded."));
    this.dicom = null;
    this.dicomCanvas = null;
    this.view = new StageView(this.stage, this.frame, {
      imageSize: () => this.naturalSize(),
      dicom: () => this.dicom,
      onWindowDrag: (dx, dy) => this.dicomControls.drag(dx, dy),
    });
    this.dicomControls = new DicomControls(container, { onReset: () => this.view.reset() });
    new ResizeObserver(() => this.fit()).observe(this.stage);
  }

  /** The image's original pixels (a DICOM object's, not its display copy's). */
  naturalSize() {
    if (this.dicom) return { width: this.dicom.width, height: this.dicom.height };
    return { width: this.image.naturalWidth, height: this.image.naturalHeight };
  }

  setSource(src) {
    this.frame.hidden = true;
    this.view.reset();
    this.view.dropDetail();
    this.setDicom(null);
    this.loading = src;
    if (!src) {
      this.image.removeAttribute("src");
      this.showMessage("No image.");
      return;
    }
    this.showMessage("Loading image…");
    this.image.alt = this.altText() || "Image to classify";
    if (isDicomSource(src)) this.loadDicom(src);
    else this.image.src = src;
  }

  async loadDicom(src) {
    this.image.removeAttribute("src");
    try {
      const dicom = await DicomImage.open(src);
      if (this.loading !== src) return;
      this.setDicom(dicom);
      this.onImageLoad();
    } catch (error) {
      if (this.loading === src) this.showMessage(`The image could not be loaded: ${error.message}`);
    }
  }

  setDicom(dicom) {
    this.unlistenDicom?.();
    this.dicomCanvas?.remove();
    this.dicom = dicom;
    this.dicomCanvas = dicom ? dicom.canvas : null;
    this.image.hidden = Boolean(dicom);
    this.dicomControls.attach(dicom);
    if (!dicom) return;
    const canvas = dicom.canvas;
    canvas.className = "image";
    canvas.setAttribute("part", "image");
    canvas.setAttribute("role", "img");
    canvas.setAttribute("aria-label", this.altText() || "Image to classify");
    this.frame.prepend(canvas);
    this.unlistenDicom = dicom.onChange(() => this.view.dicomChanged());
  }

  /** Zoom and DICOM keys; true when used. */
  handleKey(event) {
    return this.dicomControls.handleKey(event) || this.view.handleKey(event);
  }

  onImageLoad() {
    this.showMessage("");
    this.frame.hidden = false;
    this.fit();
    this.drawOverlay();
  }

  showMessage(text) {
    this.message.textContent = text;
  }

  /** Size of the image on screen: fitted to the stage, never more than MAX_UPSCALE times. */
  fit() {
    const { width, height } = this.naturalSize();
    if (!width || !height) return;
    const room = (size) => Math.max(size - 2 * STAGE_PADDING, 1);
    const scale = Math.min(
      room(this.stage.clientWidth) / width,
      room(this.stage.clientHeight) / height,
      MAX_UPSCALE,
    );
    this.frame.style.width = `${width * scale}px`;
    this.frame.style.height = `${height * scale}px`;
  }

  get hasOverlay() {
    return this.overlay !== null;
  }

  setOverlay(text) {
    this.onProblem(null);
    try {
      this.overlay = parseAttr(text, null);
    } catch (error) {
      this.overlay = null;
      this.onProblem(`The overlay attribute is not valid: ${error.message}`);
    }
    this.toolbar.hidden = !this.overlay;
    this.drawOverlay();
  }

  toggleOverlay(show = this.frame.classList.contains("overlay-off")) {
    this.frame.classList.toggle("overlay-off", !show);
    this.toggleButton.setAttribute("aria-checked", String(show));
  }

  drawOverlay() {
    this.generation = (this.generation || 0) + 1;
    this.overlayLayer.replaceChildren();
    const legend = this.toolbar.querySelector(".legend");
    legend.replaceChildren();
    if (!this.overlay || !this.naturalSize().width) return;
    const { boundingBox, semanticSegmentation, instanceSegmentation } = this.overlay;
    if (boundingBox) this.drawBoxes(boundingBox, legend);
    if (semanticSegmentation) this.drawSemanticMask(semanticSegmentation, legend);
    if (instanceSegmentation) this.drawInstanceMask(instanceSegmentation, legend);
  }

  drawBoxes({ labels = [], value = [] }, legend) {
    const known = [...labels];
    const counts = new Map();
    const { width, height } = this.naturalSize();
    for (const box of value) {
      const label = box.label ?? known[box.class_id] ?? "";
      if (!known.includes(label)) known.push(label);
      counts.set(label, (counts.get(label) || 0) + 1);
      const color = labelColor(known.indexOf(label));
      const el = document.createElement("div");
      el.className = box.top / height < 0.04 ? "box tag-inside" : "box";
      el.setAttribute("part", "overlay-box");
      el.dataset.label = label;
      Object.assign(el.style, {
        left: `${(100 * box.left) / width}%`,
        top: `${(100 * box.top) / height}%`,
        width: `${(100 * box.width) / width}%`,
        height: `${(100 * box.height) / height}%`,
      });
      el.style.setProperty("--c", color);
      el.style.setProperty("--t", readableTextOn(color));
      const tag = document.createElement("span");
      tag.className = "tag";
      tag.textContent = label;
      el.appendChild(tag);
      this.overlayLayer.appendChild(el);
    }
    known.forEach((label, i) => {
      legend.appendChild(legendItem(label, labelColor(i), counts.get(label) || 0));
    });
  }

  drawSemanticMask({ labels = [], labelMappings = {}, src }, legend) {
    labels.forEach((label, i) => {
      const color = labelMappings[label]?.color || labelColor(i);
      legend.appendChild(legendItem(label, color));
    });
    if (src) this.drawMask(src);
  }

  drawInstanceMask({ instances = [], src }, legend) {
    instances.forEach((instance, i) => {
      const label = instance.label ?? `#${i + 1}`;
      legend.appendChild(legendItem(label, instance.color || labelColor(i)));
    });
    if (src) this.drawMask(src);
  }

  // Masks paint the background white (#ffffff, Ground Truth's BACKGROUND colour): those pixels
  // are made transparent. A cross-origin mask cannot be read back; multiplying it over the image
  // leaves white areas unchanged, which looks nearly the same.
  drawMask(src) {
    const generation = this.generation;
    const mask = new Image();
    mask.decoding = "async";
    mask.addEventListener("load", () => {
      if (generation !== this.generation) return;
      const canvas = document.createElement("canvas");
      canvas.width = mask.naturalWidth;
      canvas.height = mask.naturalHeight;
      const context = canvas.getContext("2d");
      context.drawImage(mask, 0, 0);
      try {
        const pixels = context.getImageData(0, 0, canvas.width, canvas.height);
        clearWhite(pixels.data);
        context.putImageData(pixels, 0, 0);
        canvas.className = "mask";
        canvas.setAttribute("part", "overlay-mask");
        this.overlayLayer.prepend(canvas);
      } catch (_) {
        mask.className = "mask multiply";
        mask.setAttribute("part", "overlay-mask");
        mask.alt = "";
        this.overlayLayer.prepend(mask);
      }
    });
    mask.addEventListener("error", () => this.onProblem("The overlay mask could not be loaded."));
    mask.src = src;
  }
}

function clearWhite(data) {
  for (let i = 0; i < data.length; i += 4) {
    if (data[i] > 250 && data[i + 1] > 250 && data[i + 2] > 250) data[i + 3] = 0;
  }
}

function legendItem(label, color, count = null) {
  const item = document.createElement("li");
  item.innerHTML = `<span class="swatch" aria-hidden="true"></span><span class="label"></span>`;
  item.querySelector(".swatch").style.setProperty("--c", color);
  item.querySelector(".label").textContent = label;
  if (count) {
    const badge = document.createElement("span");
    badge.className = "count";
    badge.textContent = `× ${count}`;
    item.appendChild(badge);
  }
  return item;
}
