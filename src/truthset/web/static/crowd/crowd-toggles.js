// Two-state controls: <crowd-checkbox>, <crowd-toggle-button>, <crowd-radio-button> and
// <crowd-radio-group>.
//
// Each outputs `{"<name>": {"<value>": true|false}}`, `value` defaulting to "on" (Ground Truth's
// reference for all three). Controls sharing a name merge into one object (form-answer.js), so
// checkboxes named "image_attributes" with values blurry/dim/exposed give
// {"image_attributes": {"blurry": true, "dim": true, "exposed": false}}. A radio group has no
// output of its own: its buttons have, and only one of them is on.
//
// `required`: a required checkbox or toggle button must be on ("Instructions were clear").
// Keyboard: Space toggles a checkbox or toggle button; in a radio group the arrow keys move the
// choice (and the focus) to the previous or next button, Home and End to the first and last.
import { attachStyledShadow } from "./base.js";

const CHECK_SVG = `<svg viewBox="0 0 16 16" aria-hidden="true"><path d="M3.5 8.5l3 3 6-7"
  fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round"
  stroke-linejoin="round"/></svg>`;

const TOGGLE_CSS = `
  :host { display: inline-flex; vertical-align: middle; margin: 3px 14px 3px 0; }
  :host([hidden]) { display: none; }
  .control { display: inline-flex; align-items: center; gap: 10px; padding: 4px 2px;
             border: none; background: none; border-radius: 6px; text-align: left;
             color: inherit; font: inherit; cursor: pointer; }
  .control:hover:not([aria-disabled="true"]) .box { border-color: var(--crowd-accent); }
  .control:focus-visible { outline: 3px solid var(--crowd-accent-soft); outline-offset: 2px; }
  .control[aria-disabled="true"] { cursor: not-allowed; opacity: 0.55; }
  .box { flex: none; width: 20px; height: 20px; box-sizing: border-box; display: grid;
         place-items: center; border: 2px solid #9ca3af; background: #fff; color: transparent;
         transition: background 100ms, border-color 100ms; }
  .box svg { width: 14px; height: 14px; }
  .checkbox .box { border-radius: 5px; }
  .radio .box { border-radius: 50%; }
  .radio .box::after { content: ""; width: 10px; height: 10px; border-radius: 50%;
                       background: transparent; }
  [aria-checked="true"] .box { border-color: var(--crowd-accent); }
  .checkbox[aria-checked="true"] .box { background: var(--crowd-accent); color: #fff; }
  .radio[aria-checked="true"] .box::after { background: var(--crowd-accent); }
  .switch .box { width: 38px; height: 22px; border-radius: 11px; border: none;
                 background: #cbd5e1; position: relative; }
  .switch .box::after { content: ""; position: absolute; top: 3px; left: 3px; width: 16px;
                        height: 16px; border-radius: 50%; background: #fff;
                        box-shadow: 0 1px 2px rgba(0, 0, 0, 0.3); transition: left 120ms; }
  .switch[aria-checked="true"] .box { background: var(--crowd-accent); }
  .switch[aria-checked="true"] .box::after { left: 19px; }
  :host([invalid]) .switch[aria-checked="false"] .box { background: var(--crowd-danger); }
  :host([data-invalid]) .box { border-color: var(--crowd-danger); }
  .text:empty { display: none; }
`;

class ToggleControl extends HTMLElement {
  static observedAttributes = ["checked", "disabled", "required"];
  static kind = "checkbox";

  constructor() {
    super();
    const root = attachStyledShadow(this, TOGGLE_CSS);
    const kind = this.constructor.kind;
    root.innerHTML += `<button type="button" class="control ${kind}" part="control"
      role="${kind}" aria-checked="false"><span class="box" part="box">${kind === "checkbox" ?
      CHECK_SVG : ""}</span><span class="text" part="label"><slot></slot></span></button>`;
    this.control = root.querySelector(".control");
    this.isChecked = false;
    this.control.addEventListener("click", () => this.activate());
  }

  connectedCallback() {
    if (!this.initialized) {
      this.initialized = true;
      this.isChecked = this.hasAttribute("checked");
    }
    this.render();
  }

  attributeChangedCallback(name) {
    if (name === "checked" && this.initialized) this.isChecked = this.hasAttribute("checked");
    this.render();
  }

  render() {
    this.control.setAttribute("aria-checked", String(this.isChecked));
    this.control.setAttribute("aria-disabled", String(this.disabled));
    this.control.setAttribute("aria-required", String(this.hasAttribute("required")));
    if (!this.textContent.trim()) {
      this.control.setAttribute("aria-label", this.getAttribute("aria-label") || this.valueName);
    }
  }

  /** What a click or Space does: a checkbox or switch flips. */
  activate() {
    if (!this.disabled) this.setChecked(!this.isChecked, true);
  }

  setChecked(on, byWorker = false) {
    if (on === this.isChecked) return;
    this.isChecked = on;
    this.toggleAttribute("data-invalid", false);
    this.render();
    if (byWorker) {
      this.dispatchEvent(new Event("input", { bubbles: true, composed: true }));
      this.dispatchEvent(new Event("change", { bubbles: true }));
    }
  }

  get checked() {
    return this.isChecked;
  }

  set checked(on) {
    this.setChecked(Boolean(on));
  }

  get disabled() {
    return this.hasAttribute("disabled");
  }

  set disabled(value) {
    this.toggleAttribute("disabled", Boolean(value));
  }

  /** The property name of the output object. */
  get valueName() {
    return this.getAttribute("value") || "on";
  }

  get value() {
    return this.valueName;
  }

  get name() {
    return this.getAttribute("name") || "";
  }

  focus(options) {
    this.control.focus(options);
  }

  get crowdMerges() {
    return true;
  }

  get crowdValue() {
    return { [this.valueName]: this.isChecked };
  }

  crowdValidate() {
    if (!this.hasAttribute("required") || this.isChecked || this.disabled) return null;
    this.toggleAttribute("data-invalid", true);
    const text = this.textContent.trim() || this.getAttribute("aria-label") || this.name;
    return text ? `“${text}” must be checked` : "This box must be checked";
  }

  crowdReset() {
    this.setChecked(this.hasAttribute("checked"));
  }
}

class CrowdToggleButton extends ToggleControl {
  static observedAttributes = [...ToggleControl.observedAttributes, "invalid"];
  static kind = "switch";

  crowdValidate() {
    const problem = super.crowdValidate();
    return problem && problem.replace("must be checked", "must be switched on");
  }
}

// A radio button inside a crowd-radio-group is one of its choices; outside one it is on once
// clicked, and a second click turns it off again (it belongs to no group that could).
class CrowdRadioButton extends ToggleControl {
  static kind = "radio";

  get group() {
    return this.closest("crowd-radio-group");
  }

  activate() {
    if (this.disabled) return;
    const group = this.group;
    if (group) group.choose(this, true);
    else this.setChecked(!this.isChecked, true);
  }

  setChecked(on, byWorker = false) {
    super.setChecked(on, byWorker);
    if (on) this.group?.uncheckOthers(this);
  }

  // Ground Truth's radio buttons take no `required` (its reference points to native radios).
  crowdValidate() {
    return null;
  }
}

class CrowdRadioGroup extends HTMLElement {
  constructor() {
    super();
    this.addEventListener("keydown", (event) => this.onKey(event));
  }

  connectedCallback() {
    this.setAttribute("role", "radiogroup");
    // Buttons upgrade after the group: settle the roving focus once they have.
    customElements.whenDefined("crowd-radio-button").then(() => this.updateFocus());
  }

  get buttons() {
    return [...this.querySelectorAll("crowd-radio-button")].filter((b) => b.group === this);
  }

  /** The checked button, or null. */
  get selected() {
    return this.buttons.find((button) => button.checked) || null;
  }

  /** The value of the checked button (or "" when none is). */
  get value() {
    return this.selected?.valueName ?? "";
  }

  choose(button, byWorker = false) {
    const before = this.selected;
    button.setChecked(true, byWorker && before !== button);
    if (byWorker) button.focus();
  }

  uncheckOthers(chosen) {
    for (const button of this.buttons) if (button !== chosen) button.setChecked(false);
    this.updateFocus();
  }

  // Roving tab stop: Tab reaches the group once, on its checked (else first enabled) button.
  updateFocus() {
    const enabled = this.buttons.filter((b) => !b.disabled);
    const stop = this.selected && !this.selected.disabled ? this.selected : enabled[0];
    for (const button of this.buttons) button.control.tabIndex = button === stop ? 0 : -1;
  }

  onKey(event) {
    const steps = { ArrowDown: 1, ArrowRight: 1, ArrowUp: -1, ArrowLeft: -1 };
    const enabled = this.buttons.filter((b) => !b.disabled);
    const current = enabled.findIndex((b) => event.composedPath().includes(b));
    if (current < 0 || !enabled.length) return;
    let next = null;
    if (event.key in steps) next = (current + steps[event.key] + enabled.length) % enabled.length;
    else if (event.key === "Home") next = 0;
    else if (event.key === "End") next = enabled.length - 1;
    else if (event.key === " ") next = current;
    if (next === null) return;
    event.preventDefault();
    this.choose(enabled[next], true);
  }
}

customElements.define("crowd-checkbox", ToggleControl);
customElements.define("crowd-toggle-button", CrowdToggleButton);
customElements.define("crowd-radio-button", CrowdRadioButton);
customElements.define("crowd-radio-group", CrowdRadioGroup);
