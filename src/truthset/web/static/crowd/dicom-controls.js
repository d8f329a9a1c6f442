// The DICOM controls shared by every image tool: window presets from the file, the current
// window and level, invert, reset, frames, and the tags the job chose to show. Gestures:
// right-button drag changes the window (left-right: width, up-down: level); keys below.

const KEY_STEP = 8; // window steps per key press (x4 with Shift)

export const DICOM_HINTS = [
  ["<b>Right-drag</b>", "window/level"],
  ["<kbd>Ctrl</kbd>+<kbd>←→↑↓</kbd>", "window/level"],
  ["<kbd>V</kbd>", "preset"],
  ["<kbd>I</kbd>", "invert"],
  ["<kbd>R</kbd>", "reset"],
];

export const DICOM_CSS = `
  .dicom-bar { display: flex; align-items: center; gap: 10px; flex-wrap: wrap; font-size: 0.85rem;
               color: #374151; padding: 6px 0; }
  .dicom-bar[hidden], .dicom-frames[hidden] { display: none; }
  .dicom-bar select, .dicom-bar button { font: inherit; padding: 3px 8px; border-radius: 6px;
               border: 1px solid #cbd5e1; background: #fff; color: inherit; cursor: pointer; }
  .dicom-bar button[aria-pressed="true"] { background: #1f2937; color: #fff; }
  .dicom-wl { min-width: 9em; font-variant-numeric: tabular-nums; }
  .dicom-frames { display: inline-flex; align-items: center; gap: 4px; }
  .dicom-tags { display: inline-flex; gap: 4px 12px; margin: 0; flex-wrap: wrap; }
  .dicom-tags dt { font-weight: 600; }
  .dicom-tags dd { margin: 0 4px 0 0; }
`;

const MARKUP = `
  <label>Window <select class="dicom-preset" aria-label="Window preset"></select></label>
  <span class="dicom-wl" aria-live="polite"></span>
  <button type="button" class="dicom-invert" aria-pressed="false" title="Invert (I)">Invert</button>
  <button type="button" class="dicom-reset" title="Reset view and window (R)">Reset</button>
  <span class="dicom-frames" hidden>
    <button type="button" class="dicom-prev" title="Previous frame (Page Up)" aria-label="Previous frame">‹</button>
    <span class="dicom-frame" aria-live="polite"></span>
    <button type="button" class="dicom-next" title="Next frame (Page Down)" aria-label="Next frame">›</button>
  </span>
  <dl class="dicom-tags" aria-label="DICOM tags"></dl>`;

export class DicomControls {
  /** Adds a (hidden) toolbar to `container`; `onReset()` resets the view (zoom and pan). */
  constructor(container, { onReset }) {
    this.bar = document.createElement("div");
    this.bar.className = "dicom-bar";
    this.bar.setAttribute("part", "dicom-toolbar");
    this.bar.setAttribute("role", "toolbar");
    this.bar.setAttribute("aria-label", "DICOM display");
    this.bar.hidden = true;
    this.bar.innerHTML = MARKUP;
    container.appendChild(this.bar);
    this.onReset = onReset;
    this.dicom = null;
    this.unlisten = null;
    const $ = (selector) => this.bar.querySelector(selector);
    this.preset = $(".dicom-preset");
    this.preset.addEventListener("change", () => this.dicom?.applyPreset(Number(this.preset.value)));
    $(".dicom-invert").addEventListener("click", () => this.dicom?.toggleInvert());
    $(".dicom-reset").addEventListener("click", () => this.reset());
    $(".dicom-prev").addEventListener("click", () => this.step(-1));
    $(".dicom-next").addEventListener("click", () => this.step(1));
  }

  /** Shows the controls of a DicomImage (null hides them). */
  attach(dicom) {
    this.unlisten?.();
    this.dicom = dicom;
    this.bar.hidden = !dicom;
    if (!dicom) return;
    this.unlisten = dicom.onChange(() => this.render());
    this.preset.replaceChildren(
      ...dicom.presets.map((preset, i) => new Option(preset.name, String(i))),
      Object.assign(new Option("Custom", "-1"), { hidden: true }),
    );
    this.preset.disabled = dicom.color;
    const tags = this.bar.querySelector(".dicom-tags");
    tags.replaceChildren();
    for (const [name, value] of Object.entries(dicom.tags)) {
      tags.append(Object.assign(document.createElement("dt"), { textContent: name }));
      tags.append(Object.assign(document.createElement("dd"), { textContent: value }));
    }
    this.render();
  }

  render() {
    const dicom = this.dicom;
    if (!dicom) return;
    this.preset.value = String(dicom.preset);
    this.bar.querySelector(".dicom-wl").textContent = dicom.describeWindow();
    this.bar.querySelector(".dicom-invert").setAttribute("aria-pressed", String(dicom.invert !== dicom.info.invert));
    this.bar.querySelector(".dicom-frames").hidden = dicom.frameCount < 2;
    this.bar.querySelector(".dicom-frame").textContent = `Frame ${dicom.frame + 1} / ${dicom.frameCount}`;
  }

  reset() {
    this.dicom?.reset();
    this.onReset();
  }

  step(delta) {
    const dicom = this.dicom;
    if (dicom && dicom.frameCount > 1) dicom.setFrame(dicom.frame + delta).catch(() => {});
  }

  /** Right-button drag: `dx`, `dy` screen pixels since the last move. */
  drag(dx, dy) {
    this.dicom?.adjust(dx, dy);
  }

  /** Handles the DICOM keys; true when the key was used. */
  handleKey(event) {
    const dicom = this.dicom;
    if (!dicom || event.altKey || event.metaKey) return false;
    const arrows = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    if (event.ctrlKey) {
      if (!(event.key in arrows)) return false;
      const [dw, dc] = arrows[event.key];
      const steps = KEY_STEP * (event.shiftKey ? 4 : 1);
      dicom.adjust(dw * steps, dc * steps);
      return true;
    }
    switch (event.key) {
      case "i":
      case "I":
        dicom.toggleInvert();
        return true;
      case "r":
      case "R":
        this.reset();
        return true;
      case "v":
      case "V":
        dicom.applyPreset((dicom.preset < 0 ? 0 : dicom.preset) + (event.shiftKey ? -1 : 1));
        return true;
      case "PageDown":
      case ".":
        this.step(1);
        return dicom.frameCount > 1;
      case "PageUp":
      case ",":
        this.step(-1);
        return dicom.frameCount > 1;
      default:
        return false;
    }
  }
}
