// The buttons: <crowd-button>, <crowd-icon-button>, <crowd-fab>, and <iron-icon> (the icon tag
// Ground Truth's examples put inside a crowd-button). A crowd-button with form-action="submit" or
// "reset" is handled by the crowd-form around it (crowd-form.js); the others are plain buttons
// whose clicks the template listens to.
import { attachStyledShadow } from "./base.js";
import { iconLabel, iconMarkup } from "./named-icons.js";

const BUTTON_CSS = `
  :host { display: inline-flex; align-items: center; gap: 12px; flex-wrap: wrap;
          vertical-align: middle; }
  :host([hidden]) { display: none; }
  .button { display: inline-flex; align-items: center; justify-content: center; gap: 8px;
            min-height: 40px; padding: 8px 18px; font-weight: 600; color: #1f2937;
            text-decoration: none; box-sizing: border-box; background: #fff;
            border: 1px solid var(--crowd-border); border-radius: var(--crowd-radius);
            transition: background 120ms, border-color 120ms, box-shadow 120ms; }
  .button:hover { border-color: var(--crowd-accent); }
  .button:focus-visible { outline: 3px solid #93c5fd; outline-offset: 2px; }
  :host([variant="primary"]) .button { background: var(--crowd-accent); color: #fff;
          border-color: var(--crowd-accent); min-width: 120px;
          box-shadow: 0 1px 2px rgba(37, 99, 235, 0.25); }
  :host([variant="primary"]) .button:hover { background: #1d4ed8; border-color: #1d4ed8; }
  :host([variant="link"]) .button { border-color: transparent; background: none;
          color: var(--crowd-accent); padding-inline: 6px; text-decoration: underline; }
  :host([variant="icon"]) .button { padding: 8px; min-width: 40px; }
  :host([disabled]) .button, :host([loading]) .button { cursor: default; opacity: 0.6;
          box-shadow: none; }
  :host([disabled]) .button:hover { border-color: var(--crowd-border); }
  :host([variant="primary"][disabled]) .button:hover { background: var(--crowd-accent); }
  :host([icon-align="right"]) .icon { order: 2; }
  .icon { display: inline-grid; place-items: center; width: 18px; height: 18px; flex: none; }
  .icon:empty { display: none; }
  .spinner { display: none; width: 14px; height: 14px; border-radius: 50%;
             border: 2px solid currentColor; border-right-color: transparent;
             animation: spin 0.8s linear infinite; }
  :host([loading]) .spinner { display: inline-block; }
  @keyframes spin { to { transform: rotate(360deg); } }
  .problem { order: -1; display: inline-flex; align-items: center; gap: 8px; max-width: 48ch;
             padding: 7px 12px; font-size: 0.9rem; font-weight: 500; color: var(--crowd-danger);
             background: #fef2f2; border: 1px solid #fecaca; border-radius: var(--crowd-radius); }
  .problem[hidden] { display: none; }
  .problem svg { flex: none; width: 16px; height: 16px; }
`;

class CrowdButton extends HTMLElement {
  static observedAttributes = ["disabled", "loading", "href", "target", "icon", "icon-url"];

  constructor() {
    super();
    this.root = attachStyledShadow(this, BUTTON_CSS);
    this.root.innerHTML += `
      <span class="problem" part="problem" role="alert" hidden>
        <svg viewBox="0 0 16 16" aria-hidden="true">
          <circle cx="8" cy="8" r="7.5" fill="currentColor"/>
          <path d="M8 4v5" stroke="#fff" stroke-width="1.8" stroke-linecap="round"/>
          <circle cx="8" cy="11.6" r="1" fill="#fff"/></svg><span class="text"></span></span>`;
    this.problem = this.root.querySelector(".problem");
  }

  connectedCallback() {
    this.render();
  }

  attributeChangedCallback() {
    if (this.isConnected) this.render();
  }

  render() {
    const href = this.getAttribute("href");
    const tag = href ? "a" : "button";
    if (!this.control || this.control.localName !== tag) {
      this.control?.remove();
      this.control = document.createElement(tag);
      this.control.className = "button";
      this.control.setAttribute("part", "button");
      this.control.innerHTML = `<span class="spinner" aria-hidden="true"></span>
        <span class="icon" aria-hidden="true"></span><slot></slot>`;
      this.root.appendChild(this.control);
    }
    const inactive = this.hasAttribute("disabled") || this.hasAttribute("loading");
    if (href) {
      this.control.href = href;
      if (this.getAttribute("target")) this.control.target = this.getAttribute("target");
      this.control.toggleAttribute("aria-disabled", inactive);
    } else {
      this.control.type = "button";
      this.control.disabled = inactive;
      this.control.setAttribute("aria-busy", String(this.hasAttribute("loading")));
    }
    // icon-url takes the place of a named icon, as in Ground Truth's reference.
    const icon = this.getAttribute("icon-url") || this.getAttribute("icon");
    this.control.querySelector(".icon").innerHTML = iconMarkup(icon);
    if (this.getAttribute("variant") === "icon" && !this.textContent.trim()) {
      this.control.setAttribute("aria-label", this.getAttribute("title") || iconLabel(icon));
    }
  }

  focus(options) {
    this.control?.focus(options);
  }

  click() {
    this.control?.click();
  }

  showProblem(message) {
    this.problem.querySelector(".text").textContent = message;
    this.problem.hidden = false;
  }

  clearProblem() {
    this.problem.hidden = true;
  }

  get problemText() {
    return this.problem.hidden ? null : this.problem.querySelector(".text").textContent;
  }
}


const ROUND_CSS = `
  :host { display: inline-block; vertical-align: middle; }
  :host([hidden]) { display: none; }
  button { display: grid; place-items: center; width: 40px; height: 40px; padding: 8px;
           border-radius: 50%; border: 1px solid transparent; background: transparent;
           color: #374151; transition: background 120ms, box-shadow 120ms; }
  button:hover:not(:disabled) { background: #f3f4f6; border-color: transparent; }
  button:active:not(:disabled) { background: var(--crowd-accent-soft); }
  button:focus-visible { outline: 3px solid #93c5fd; outline-offset: 2px; }
  button:disabled { opacity: 0.45; cursor: default; }
  .glyph { display: grid; place-items: center; width: 22px; height: 22px; font-size: 1.1rem; }
  :host(crowd-fab) button { width: 56px; height: 56px; padding: 16px; color: #fff;
          background: var(--crowd-accent); box-shadow: 0 3px 8px rgba(15, 23, 42, 0.3); }
  :host(crowd-fab) button:hover:not(:disabled) { background: #1d4ed8;
          box-shadow: 0 5px 14px rgba(15, 23, 42, 0.35); }
  :host(crowd-fab) button:disabled { background: #9ca3af; box-shadow: none; }
  .label { font-weight: 700; font-size: 1.1rem; line-height: 1; max-width: 1.4em; overflow: hidden;
           text-overflow: ellipsis; white-space: nowrap; }
`;

// crowd-icon-button and crowd-fab: an icon (or, for the fab, a one-character `label`) in a round
// button. The title attribute is the tooltip and, with the icon's name, the accessible name. The
// element's own content is not shown (templates close these tags with "/>", which HTML ignores).
class RoundButton extends HTMLElement {
  static observedAttributes = ["icon", "label", "title", "disabled", "aria-label"];

  constructor() {
    super();
    const root = attachStyledShadow(this, ROUND_CSS);
    root.innerHTML += `<button type="button" part="button"><span class="glyph"></span></button>`;
    this.button = root.querySelector("button");
  }

  connectedCallback() {
    this.render();
  }

  attributeChangedCallback() {
    this.render();
  }

  render() {
    const icon = this.getAttribute("icon");
    const label = this.getAttribute("label");
    const glyph = this.button.querySelector(".glyph");
    if (icon || !label) glyph.innerHTML = iconMarkup(icon || "");
    else glyph.innerHTML = `<span class="label"></span>`;
    if (!icon && label) glyph.querySelector(".label").textContent = label;
    const name = this.getAttribute("aria-label") || this.getAttribute("title") ||
      iconLabel(icon) || label || "Button";
    this.button.setAttribute("aria-label", name);
    if (this.getAttribute("title")) this.button.title = this.getAttribute("title");
    this.button.disabled = this.hasAttribute("disabled");
  }

  get disabled() {
    return this.hasAttribute("disabled");
  }

  set disabled(value) {
    this.toggleAttribute("disabled", Boolean(value));
  }

  focus(options) {
    this.button.focus(options);
  }

  click() {
    if (!this.disabled) this.button.click();
  }
}

// <iron-icon icon="search">: the icon alone, sized to the text around it.
class IronIcon extends HTMLElement {
  static observedAttributes = ["icon", "src"];

  constructor() {
    super();
    const root = this.attachShadow({ mode: "open" });
    root.innerHTML = `<style>:host { display: inline-grid; place-items: center; width: 1.2em;
      height: 1.2em; vertical-align: -0.2em; }</style><span style="display: contents"></span>`;
  }

  connectedCallback() {
    this.attributeChangedCallback();
  }

  attributeChangedCallback() {
    const icon = this.getAttribute("src") || this.getAttribute("icon") || "";
    this.shadowRoot.querySelector("span").innerHTML = iconMarkup(icon);
    this.setAttribute("aria-hidden", "true");
  }
}

customElements.define("crowd-button", CrowdButton);
customElements.define("crowd-icon-button", class extends RoundButton {});
customElements.define("crowd-fab", class extends RoundButton {});
if (!customElements.get("iron-icon")) customElements.define("iron-icon", IronIcon);
