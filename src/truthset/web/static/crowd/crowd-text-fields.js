// <crowd-input> and <crowd-text-area>: a labelled text field drawn around a native <input> or
// <textarea> in the shadow root, so the browser's editing, IME and constraint validation apply.
//
// Output under `name`: the text as a string. An empty crowd-input is left out of the answer
// ("Elements with no input do not appear in the output", Ground Truth's crowd-input reference);
// a crowd-text-area always gives its text, line breaks as "\n" (its reference shows no omission).
//
// Attributes (both): allowed-pattern (with auto-validate: characters it does not match are not
// typed), auto-focus, auto-validate (show problems while typing, not only on submit), disabled,
// error-message (shown instead of the browser's message), label (floats above the text once
// there is some), max-length, min-length, name, placeholder, required, value (the preset).
// crowd-input adds `type` (text, number, email, url, date, ...); crowd-text-area adds rows,
// max-rows (grows up to this many rows, then scrolls) and char-counter.
import { attachStyledShadow } from "./base.js";

const FIELD_CSS = `
  :host { display: block; margin: 6px 0 14px; max-width: 100%; }
  :host([hidden]) { display: none; }
  .field { position: relative; display: flex; flex-direction: column; }
  label { font-size: 0.85rem; font-weight: 600; color: #374151; margin-bottom: 4px;
          transition: color 120ms; }
  label:empty { display: none; }
  .control { font: inherit; font-size: 1rem; color: #111827; background: #fff; width: 100%;
             box-sizing: border-box; padding: 9px 12px; border: 1px solid var(--crowd-border);
             border-radius: var(--crowd-radius); transition: border-color 120ms, box-shadow 120ms; }
  textarea.control { resize: vertical; line-height: 1.5; min-height: 2.6em; }
  .control:hover:not(:disabled) { border-color: #9ca3af; }
  .control:focus { outline: none; border-color: var(--crowd-accent);
                   box-shadow: 0 0 0 3px var(--crowd-accent-soft); }
  .field:focus-within label { color: var(--crowd-accent); }
  .control:disabled { background: #f3f4f6; color: var(--crowd-muted); cursor: not-allowed; }
  :host([data-invalid]) .control { border-color: var(--crowd-danger); }
  :host([data-invalid]) .control:focus { box-shadow: 0 0 0 3px #fee2e2; }
  .below { display: flex; gap: 12px; min-height: 0; font-size: 0.8rem; margin-top: 3px; }
  .error { flex: 1; color: var(--crowd-danger); }
  .counter { margin-left: auto; color: var(--crowd-muted); font-variant-numeric: tabular-nums; }
  [hidden] { display: none !important; }
`;

let fieldCount = 0;

class TextField extends HTMLElement {
  static observedAttributes = [
    "label", "placeholder", "value", "disabled", "required", "max-length", "min-length", "type",
    "rows", "max-rows", "char-counter", "error-message",
  ];
  static multiline = false;

  constructor() {
    super();
    const root = attachStyledShadow(this, FIELD_CSS);
    const id = `field-${++fieldCount}`;
    const tag = this.constructor.multiline ? "textarea" : "input";
    root.innerHTML += `<div class="field" part="field"><label for="${id}" part="label"></label>
      <${tag} class="control" id="${id}" part="control"></${tag}>
      <div class="below"><span class="error" part="error" role="alert" hidden></span>
        <span class="counter" part="counter" hidden></span></div></div>`;
    this.control = root.querySelector(".control");
    this.touched = false;
    this.control.addEventListener("beforeinput", (event) => this.filterTyping(event));
    this.control.addEventListener("input", () => this.onInput());
    // `change` does not cross the shadow boundary: send it again from the element itself.
    this.control.addEventListener("change", () => {
      this.touched = true;
      this.showProblem();
      this.dispatchEvent(new Event("change", { bubbles: true }));
    });
  }

  connectedCallback() {
    if (!this.initialized) {
      this.initialized = true;
      this.control.value = this.presetValue();
    }
    this.render();
    if (this.autoFocus) requestAnimationFrame(() => this.control.focus({ preventScroll: false }));
  }

  attributeChangedCallback(name, _old, value) {
    if (name === "value" && this.initialized && !this.touched) this.control.value = value ?? "";
    if (this.isConnected) this.render();
  }

  // The `value` attribute; a text area may also hold its preset as content, as <textarea> does.
  presetValue() {
    const preset = this.getAttribute("value");
    if (preset !== null || !this.constructor.multiline) return preset ?? "";
    return this.textContent.replace(/^\n/, "");
  }

  get autoFocus() {
    const value = this.getAttribute("auto-focus");
    return value !== null && value !== "false";
  }

  render() {
    const c = this.control;
    const label = this.getAttribute("label") || "";
    this.shadowRoot.querySelector("label").textContent = label;
    c.placeholder = this.getAttribute("placeholder") || "";
    c.disabled = this.hasAttribute("disabled");
    c.required = this.hasAttribute("required");
    setLimit(c, "maxLength", this.getAttribute("max-length"));
    setLimit(c, "minLength", this.getAttribute("min-length"));
    if (!label) c.setAttribute("aria-label", this.getAttribute("placeholder") || this.name || "");
    else c.removeAttribute("aria-label");
    if (this.constructor.multiline) {
      c.rows = Number(this.getAttribute("rows")) || 2;
      const maxRows = Number(this.getAttribute("max-rows"));
      c.style.maxHeight = maxRows > 0 ? `calc(${maxRows} * 1.5em + 20px)` : "";
    } else {
      c.type = this.getAttribute("type") || "text";
    }
    this.renderCounter();
  }

  renderCounter() {
    const counter = this.shadowRoot.querySelector(".counter");
    counter.hidden = !this.hasAttribute("char-counter");
    const max = this.getAttribute("max-length");
    counter.textContent = max ? `${this.value.length}/${max}` : String(this.value.length);
  }

  // With auto-validate, allowed-pattern is a per-character filter ("[0-9]"): other characters
  // are not typed (Ground Truth's reference).
  filterTyping(event) {
    const pattern = this.getAttribute("allowed-pattern");
    if (!pattern || !this.hasAttribute("auto-validate") || event.data === null) return;
    let allowed;
    try {
      allowed = new RegExp(`^(?:${pattern})$`, "u");
    } catch (_) {
      return;
    }
    if ([...event.data].some((ch) => !allowed.test(ch))) event.preventDefault();
  }

  onInput() {
    this.renderCounter();
    this.autoGrow();
    if (this.hasAttribute("auto-validate") || this.hasAttribute("data-invalid")) this.showProblem();
  }

  // A text area grows with its text up to max-rows, then scrolls.
  autoGrow() {
    if (!this.constructor.multiline || !this.getAttribute("max-rows")) return;
    const c = this.control;
    c.style.height = "auto";
    c.style.height = `${c.scrollHeight + 2}px`;
  }

  get name() {
    return this.getAttribute("name") || "";
  }

  get value() {
    return this.control.value;
  }

  set value(text) {
    this.control.value = text === null || text === undefined ? "" : String(text);
    this.renderCounter();
    this.showProblem(false);
  }

  get disabled() {
    return this.hasAttribute("disabled");
  }

  set disabled(value) {
    this.toggleAttribute("disabled", Boolean(value));
  }

  focus(options) {
    this.control.focus(options);
  }

  /** What is wrong with the text, or null: required, lengths and the type (number, email...).
   * The browser checks min-length only on typed text, so it is checked here as well. */
  problemMessage() {
    const c = this.control;
    if (c.disabled) return null;
    const min = Number(this.getAttribute("min-length"));
    let message = null;
    if (!c.checkValidity()) message = c.validationMessage;
    else if (min > 0 && c.value.length > 0 && c.value.length < min) {
      message = `Use at least ${min} characters (you have ${c.value.length}).`;
    }
    return message && (this.getAttribute("error-message") || message);
  }

  /** The problem as crowd-form shows it: prefixed with the field's label. */
  problem() {
    const message = this.problemMessage();
    if (!message) return null;
    const name = this.getAttribute("label") || this.getAttribute("placeholder") || this.name;
    return name ? `${name}: ${message}` : message;
  }

  /** Shows (or, with show=false, clears) the problem under the field. */
  showProblem(show = true) {
    const message = show ? this.problemMessage() : null;
    const error = this.shadowRoot.querySelector(".error");
    error.textContent = message || "";
    error.hidden = !message;
    this.toggleAttribute("data-invalid", Boolean(message));
    this.control.setAttribute("aria-invalid", String(Boolean(message)));
  }

  get crowdValue() {
    if (!this.constructor.multiline && this.value === "") return undefined;
    return this.value;
  }

  crowdValidate() {
    const problem = this.problem();
    this.showProblem(Boolean(problem));
    return problem;
  }

  crowdReset() {
    this.touched = false;
    this.value = this.presetValue();
  }
}

function setLimit(control, property, raw) {
  const limit = Number(raw);
  if (raw !== null && Number.isInteger(limit) && limit >= 0) control[property] = limit;
  else control.removeAttribute(property === "maxLength" ? "maxlength" : "minlength");
}

customElements.define("crowd-input", class extends TextField {});
customElements.define(
  "crowd-text-area",
  class extends TextField {
    static multiline = true;
  },
);
