// <crowd-slider>: pick a number on a range by moving a knob, and <crowd-slider-label
// position="3">Three</crowd-slider-label> children that label points of the range.
//
// Attributes (Ground Truth's reference): min (default 0), max (100), step (1), value (the preset;
// without one the knob starts at min), name, disabled, editable (a number box beside the
// slider), pin (the value shown above the knob), required, secondary-progress (a second, lighter
// bar up to that value; colour --crowd-slider-secondary-color).
//
// Output under `name`: the value as a number, {"howMuch": 7}.
// `required` with no preset value: the worker has to move the knob (or type a number) before
// submitting, so a default is never mistaken for an answer.
// Keyboard: the arrow keys step, Page Up/Down move a tenth of the range, Home/End go to the ends.
import { attachStyledShadow } from "./base.js";

const SLIDER_CSS = `
  :host { display: block; margin: 8px 0 18px; max-width: 560px; --pct: 0%; --pct2: 0%; }
  :host([hidden]) { display: none; }
  .row { display: flex; align-items: center; gap: 14px; }
  .track { position: relative; flex: 1; padding: 26px 0 4px; }
  input[type="range"] { width: 100%; margin: 0; height: 24px; background: transparent;
          -webkit-appearance: none; appearance: none; cursor: pointer; position: relative; }
  input[type="range"]:disabled { cursor: not-allowed; }
  input[type="range"]::-webkit-slider-runnable-track { height: 6px; border-radius: 3px;
          background: linear-gradient(to right, var(--crowd-accent) var(--pct),
            var(--crowd-slider-secondary-color, #93c5fd) var(--pct) var(--pct2),
            #e5e7eb var(--pct2)); }
  input[type="range"]::-webkit-slider-thumb { -webkit-appearance: none; appearance: none;
          width: 20px; height: 20px; margin-top: -7px; border-radius: 50%; background: #fff;
          border: 3px solid var(--crowd-accent); box-shadow: 0 1px 3px rgba(0, 0, 0, 0.3); }
  input[type="range"]:focus-visible { outline: none; }
  input[type="range"]:focus-visible::-webkit-slider-thumb {
          box-shadow: 0 0 0 5px var(--crowd-accent-soft); }
  :host([data-unset]) input[type="range"]::-webkit-slider-thumb { border-color: #9ca3af; }
  :host([data-invalid]) input[type="range"]::-webkit-slider-thumb {
          border-color: var(--crowd-danger); }
  input[type="range"]:disabled::-webkit-slider-thumb { border-color: #9ca3af; }
  .pin { position: absolute; top: 0; left: calc(10px + (100% - 20px) * var(--frac, 0));
         transform: translateX(-50%); min-width: 24px; padding: 2px 6px; border-radius: 6px;
         font-size: 0.8rem; font-weight: 700; text-align: center; color: #fff;
         background: var(--crowd-accent); font-variant-numeric: tabular-nums; }
  :host([data-unset]) .pin { background: #9ca3af; }
  .ticks { position: relative; height: 1.4em; margin: 2px 10px 0; font-size: 0.8rem;
           color: var(--crowd-muted); }
  .ticks:empty { display: none; }
  .tick { position: absolute; white-space: nowrap; }
  .number { width: 5.5em; font: inherit; padding: 6px 8px; border: 1px solid var(--crowd-border);
            border-radius: var(--crowd-radius); }
  .number:focus { outline: none; border-color: var(--crowd-accent);
                  box-shadow: 0 0 0 3px var(--crowd-accent-soft); }
  .hint { font-size: 0.8rem; color: var(--crowd-muted); margin-top: 2px; }
  :host([data-invalid]) .hint { color: var(--crowd-danger); }
  [hidden] { display: none !important; }
`;

function numberAttr(element, name, fallback) {
  const raw = element.getAttribute(name);
  const value = raw === null || raw === "" ? NaN : Number(raw);
  return Number.isFinite(value) ? value : fallback;
}

class CrowdSlider extends HTMLElement {
  static observedAttributes = [
    "min", "max", "step", "value", "disabled", "editable", "pin", "required", "secondary-progress",
  ];

  constructor() {
    super();
    const root = attachStyledShadow(this, SLIDER_CSS);
    root.innerHTML += `<div class="row"><div class="track" part="track">
        <span class="pin" part="pin" aria-hidden="true" hidden></span>
        <input type="range" part="slider"></div>
        <input class="number" type="number" part="number" hidden></div>
      <div class="ticks" part="labels" aria-hidden="true"></div>
      <div class="hint" part="hint" hidden>Move the slider to choose a value.</div>
      <slot hidden></slot>`;
    this.range = root.querySelector('input[type="range"]');
    this.number = root.querySelector(".number");
    this.moved = false;
    this.range.addEventListener("input", () => this.setFromWorker(this.range.value, false));
    this.range.addEventListener("change", () => this.setFromWorker(this.range.value, true));
    this.number.addEventListener("change", () => this.setFromWorker(this.number.value, true));
    root.querySelector("slot").addEventListener("slotchange", () => this.renderTicks());
  }

  connectedCallback() {
    this.render();
    this.renderTicks();
  }

  attributeChangedCallback(name) {
    if (name === "value" && !this.moved) this.range.value = this.presetValue();
    if (this.isConnected) this.render();
  }

  get min() {
    return numberAttr(this, "min", 0);
  }

  get max() {
    return Math.max(this.min, numberAttr(this, "max", 100));
  }

  get step() {
    const step = numberAttr(this, "step", 1);
    return step > 0 ? step : 1;
  }

  presetValue() {
    return String(numberAttr(this, "value", this.min));
  }

  render() {
    const { min, max, step } = this;
    for (const input of [this.range, this.number]) {
      Object.assign(input, { min: String(min), max: String(max), step: String(step) });
      input.disabled = this.hasAttribute("disabled");
    }
    if (!this.moved) this.range.value = this.presetValue();
    this.number.hidden = !this.flag("editable");
    this.number.value = this.range.value;
    this.shadowRoot.querySelector(".pin").hidden = !this.flag("pin");
    const label = this.getAttribute("aria-label") || this.getAttribute("name") || "Value";
    this.range.setAttribute("aria-label", label);
    this.number.setAttribute("aria-label", label);
    this.toggleAttribute("data-unset", this.unset);
    this.renderFill();
  }

  flag(name) {
    const value = this.getAttribute(name);
    return value !== null && value !== "false";
  }

  /** True while a required slider without a preset still waits for the worker. */
  get unset() {
    return this.hasAttribute("required") && !this.hasAttribute("value") && !this.moved;
  }

  renderFill() {
    const { min, max } = this;
    const frac = max > min ? (Number(this.range.value) - min) / (max - min) : 0;
    const secondary = numberAttr(this, "secondary-progress", min);
    const frac2 = max > min ? Math.min(1, Math.max(0, (secondary - min) / (max - min))) : 0;
    this.style.setProperty("--pct", `${frac * 100}%`);
    this.style.setProperty("--pct2", `${Math.max(frac, frac2) * 100}%`);
    this.style.setProperty("--frac", String(frac));
    this.shadowRoot.querySelector(".pin").textContent = this.range.value;
    this.range.setAttribute("aria-valuetext", this.unset ? "not set" : this.range.value);
  }

  // crowd-slider-label children are placed under the track at their `position`.
  renderTicks() {
    const { min, max } = this;
    const ticks = this.shadowRoot.querySelector(".ticks");
    ticks.replaceChildren(
      ...[...this.querySelectorAll(":scope > crowd-slider-label")].map((label) => {
        const at = Number(label.getAttribute("position"));
        const tick = document.createElement("span");
        tick.className = "tick";
        tick.textContent = label.textContent.trim();
        const frac = max > min && Number.isFinite(at) ? (at - min) / (max - min) : 0;
        const at01 = Math.min(1, Math.max(0, frac));
        tick.style.left = `${at01 * 100}%`;
        // Centred on its point, except at the ends, where it stays inside the slider.
        tick.style.transform = `translateX(-${at01 * 100}%)`;
        return tick;
      }),
    );
  }

  setFromWorker(raw, committed) {
    const value = Number(raw);
    if (!Number.isFinite(value)) return;
    this.moved = true;
    this.range.value = String(value);
    this.number.value = this.range.value;
    this.toggleAttribute("data-invalid", false);
    this.shadowRoot.querySelector(".hint").hidden = true;
    this.toggleAttribute("data-unset", false);
    this.renderFill();
    if (committed) this.dispatchEvent(new Event("change", { bubbles: true }));
    else this.dispatchEvent(new Event("input", { bubbles: true, composed: true }));
  }

  get value() {
    return Number(this.range.value);
  }

  set value(value) {
    this.setFromWorker(value, false);
  }

  get name() {
    return this.getAttribute("name") || "";
  }

  focus(options) {
    this.range.focus(options);
  }

  get crowdValue() {
    return this.value;
  }

  crowdValidate() {
    if (!this.unset || this.hasAttribute("disabled")) return null;
    this.toggleAttribute("data-invalid", true);
    this.shadowRoot.querySelector(".hint").hidden = false;
    const label = this.getAttribute("aria-label") || this.name;
    return `${label ? `${label}: m` : "M"}ove the slider to choose a value`;
  }

  crowdReset() {
    this.moved = false;
    this.shadowRoot.querySelector(".hint").hidden = true;
    this.toggleAttribute("data-invalid", false);
    this.render();
  }
}

// A tick label of crowd-slider: its text is shown by the slider; on its own it shows nothing.
class CrowdSliderLabel extends HTMLElement {
  static observedAttributes = ["position"];

  connectedCallback() {
    this.hidden = true;
    this.closest("crowd-slider")?.renderTicks?.();
  }

  attributeChangedCallback() {
    this.closest("crowd-slider")?.renderTicks?.();
  }
}

customElements.define("crowd-slider", CrowdSlider);
customElements.define("crowd-slider-label", CrowdSliderLabel);
