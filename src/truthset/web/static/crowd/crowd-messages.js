// Messages: <crowd-alert> (a box in the page), <crowd-toast> (a short notice at the bottom of the
// screen, one at a time), <crowd-badge> (a small marker on the corner of another element) and
// <crowd-tooltip> (a hint shown while another element is hovered or focused).
import { attachStyledShadow } from "./base.js";
import { iconLabel, iconMarkup } from "./named-icons.js";

const ALERT_TYPES = {
  info: ["#eff6ff", "#bfdbfe", "#1e40af"],
  success: ["#f0fdf4", "#bbf7d0", "#166534"],
  warning: ["#fffbeb", "#fde68a", "#92400e"],
  error: ["#fef2f2", "#fecaca", "#991b1b"],
};

const ALERT_CSS =
  `
  :host { display: block; margin: 8px 0; }
  :host([hidden]) { display: none; }
  .alert { display: flex; align-items: flex-start; gap: 12px; padding: 12px 16px;
           border: 1px solid; border-radius: 10px; line-height: 1.5; }
  .body { flex: 1; }
  .dismiss { border: none; background: none; padding: 0 4px; font-size: 1.25rem; line-height: 1;
             color: inherit; opacity: 0.7; }
  .dismiss:hover { opacity: 1; }
  .dismiss[hidden] { display: none; }
` +
  Object.entries(ALERT_TYPES)
    .map(
      ([type, [bg, border, fg]]) =>
        `:host([type="${type}"]) .alert${type === "info" ? ", .alert" : ""} ` +
        `{ background: ${bg}; border-color: ${border}; color: ${fg}; }`,
    )
    .reverse()
    .join("\n");

class CrowdAlert extends HTMLElement {
  static observedAttributes = ["type", "dismissible"];

  constructor() {
    super();
    const root = attachStyledShadow(this, ALERT_CSS);
    root.innerHTML += `<div class="alert" part="alert"><div class="body"><slot></slot></div>
      <button type="button" class="dismiss" aria-label="Dismiss" hidden>&times;</button></div>`;
    root.querySelector(".dismiss").addEventListener("click", () => (this.hidden = true));
  }

  connectedCallback() {
    this.render();
  }

  attributeChangedCallback() {
    this.render();
  }

  render() {
    const urgent = ["error", "warning"].includes(this.getAttribute("type"));
    this.shadowRoot.querySelector(".alert").setAttribute("role", urgent ? "alert" : "status");
    this.shadowRoot.querySelector(".dismiss").hidden = !this.hasAttribute("dismissible");
  }
}


const DEFAULT_TOAST_MS = 3000;

const TOAST_CSS = `
  :host { position: fixed; left: 24px; bottom: calc(var(--crowd-footer-height, 0px) + 24px);
          z-index: 1000; max-width: min(560px, calc(100vw - 48px)); }
  :host(:not([opened])) { display: none; }
  .toast { display: flex; align-items: center; gap: 16px; padding: 12px 16px; border-radius: 10px;
           background: #1f2937; color: #f9fafb; box-shadow: 0 8px 24px rgba(15, 23, 42, 0.35);
           line-height: 1.45; }
  .body { flex: 1; }
  .close { border: none; background: transparent; color: #d1d5db; font-size: 1.2rem;
           line-height: 1; padding: 0 4px; }
  .close:hover { color: #fff; }
`;

let openToast = null;

// <crowd-toast duration="10000" opened>Text</crowd-toast>: shown while `opened` is present, for
// `duration` milliseconds (3000 by default; 0 keeps it until closed). `text` is used when the
// element has no content. Opening one toast closes the one shown before.
class CrowdToast extends HTMLElement {
  static observedAttributes = ["opened", "text", "duration"];

  constructor() {
    super();
    const root = attachStyledShadow(this, TOAST_CSS);
    root.innerHTML += `<div class="toast" part="toast" role="status" aria-live="polite">
      <div class="body"><slot><span class="text"></span></slot></div>
      <button type="button" class="close" aria-label="Close">&times;</button></div>`;
    root.querySelector(".close").addEventListener("click", () => this.close());
  }

  attributeChangedCallback(name) {
    this.shadowRoot.querySelector(".text").textContent = this.getAttribute("text") || "";
    if (name === "opened" || name === "duration") this.schedule();
  }

  disconnectedCallback() {
    clearTimeout(this.timer);
    if (openToast === this) openToast = null;
  }

  schedule() {
    clearTimeout(this.timer);
    if (!this.opened) return;
    if (openToast && openToast !== this) openToast.close();
    openToast = this;
    const raw = this.getAttribute("duration");
    const duration = raw === null || raw === "" ? DEFAULT_TOAST_MS : Number(raw);
    if (duration > 0) this.timer = setTimeout(() => this.close(), duration);
  }

  get opened() {
    return this.hasAttribute("opened");
  }

  set opened(value) {
    this.toggleAttribute("opened", Boolean(value));
  }

  /** Shows the toast (again); `text` replaces the text attribute when given. */
  show(text) {
    if (typeof text === "string") this.setAttribute("text", text);
    this.removeAttribute("opened");
    this.setAttribute("opened", "");
  }

  open() {
    this.show();
  }

  close() {
    this.removeAttribute("opened");
  }

  toggle() {
    if (this.opened) this.close();
    else this.show();
  }
}

const BADGE_CSS = `
  :host { display: inline-flex; z-index: 2; pointer-events: none; }
  :host([hidden]) { display: none; }
  .badge { display: inline-grid; place-items: center; min-width: 22px; height: 22px;
           padding: 0 6px; box-sizing: border-box; border-radius: 11px; font-size: 0.75rem;
           font-weight: 700; line-height: 1; color: #fff; background: var(--crowd-badge-color,
           var(--crowd-accent)); box-shadow: 0 0 0 2px #fff; overflow: hidden; white-space: nowrap; }
  .badge.icon { padding: 4px; width: 22px; }
`;

// <crowd-badge label="3" for="target-id"> or icon="star": floats over the top right corner of the
// element whose id is `for` (without `for`, it sits where it is written).
class CrowdBadge extends HTMLElement {
  static observedAttributes = ["label", "icon", "for"];

  constructor() {
    super();
    const root = attachStyledShadow(this, BADGE_CSS);
    root.innerHTML += `<span class="badge" part="badge" role="img"></span>`;
    this.onMove = () => this.place();
  }

  connectedCallback() {
    this.render();
    window.addEventListener("resize", this.onMove);
  }

  disconnectedCallback() {
    window.removeEventListener("resize", this.onMove);
    this.observer?.disconnect();
  }

  attributeChangedCallback() {
    if (this.isConnected) this.render();
  }

  get target() {
    const id = this.getAttribute("for");
    return id ? this.getRootNode().getElementById?.(id) || document.getElementById(id) : null;
  }

  render() {
    const badge = this.shadowRoot.querySelector(".badge");
    const icon = this.getAttribute("icon");
    const label = this.getAttribute("label") || "";
    // The icon overrides the label (Ground Truth's reference).
    badge.classList.toggle("icon", Boolean(icon));
    if (icon) badge.innerHTML = iconMarkup(icon);
    else badge.textContent = label;
    badge.setAttribute("aria-label", icon ? iconLabel(icon) || "badge" : label);
    this.observer?.disconnect();
    const target = this.target;
    if (target) {
      this.observer = new ResizeObserver(this.onMove);
      this.observer.observe(target);
    }
    this.place();
  }

  // Positioned against the badge's offset parent, so it scrolls with the target.
  place() {
    const target = this.target;
    if (!target) {
      this.style.position = "";
      return;
    }
    this.style.position = "absolute";
    const parent = this.offsetParent || document.body;
    const from = parent.getBoundingClientRect();
    const to = target.getBoundingClientRect();
    const width = this.offsetWidth || 22;
    this.style.left = `${to.right - from.left + parent.scrollLeft - width / 2 - 4}px`;
    this.style.top = `${to.top - from.top + parent.scrollTop - 11 + 4}px`;
  }
}

const TOOLTIP_CSS = `
  :host { position: fixed; z-index: 1001; pointer-events: none; max-width: 280px; }
  :host(:not([data-shown])) { display: none; }
  .tip { padding: 6px 10px; border-radius: 6px; font-size: 0.85rem; line-height: 1.4;
         color: #f9fafb; background: #111827; box-shadow: 0 4px 12px rgba(15, 23, 42, 0.3); }
`;

let tooltipCount = 0;

// <crowd-tooltip for="target-id" text="..."> (or with content): shown below the target while it is
// hovered or has the focus; Escape hides it. The target is described by it (aria-describedby).
class CrowdTooltip extends HTMLElement {
  static observedAttributes = ["for", "text"];

  constructor() {
    super();
    const root = attachStyledShadow(this, TOOLTIP_CSS);
    root.innerHTML += `<div class="tip" part="tooltip"><slot><span class="text"></span></slot></div>`;
    this.show = () => this.toggle(true);
    this.hide = () => this.toggle(false);
    this.onKey = (event) => event.key === "Escape" && this.hide();
  }

  connectedCallback() {
    this.setAttribute("role", "tooltip");
    if (!this.id) this.id = `crowd-tooltip-${++tooltipCount}`;
    this.bind();
  }

  disconnectedCallback() {
    this.unbind();
  }

  attributeChangedCallback(name) {
    this.shadowRoot.querySelector(".text").textContent = this.getAttribute("text") || "";
    if (name === "for" && this.isConnected) this.bind();
  }

  bind() {
    this.unbind();
    const id = this.getAttribute("for");
    const target = id ? document.getElementById(id) : this.parentElement;
    if (!target) return;
    this.bound = target;
    for (const type of ["mouseenter", "focusin"]) target.addEventListener(type, this.show);
    for (const type of ["mouseleave", "focusout"]) target.addEventListener(type, this.hide);
    target.addEventListener("keydown", this.onKey);
    const described = new Set((target.getAttribute("aria-describedby") || "").split(/\s+/));
    described.delete("");
    described.add(this.id);
    target.setAttribute("aria-describedby", [...described].join(" "));
  }

  unbind() {
    const target = this.bound;
    if (!target) return;
    for (const type of ["mouseenter", "focusin"]) target.removeEventListener(type, this.show);
    for (const type of ["mouseleave", "focusout"]) target.removeEventListener(type, this.hide);
    target.removeEventListener("keydown", this.onKey);
    this.bound = null;
  }

  toggle(shown) {
    this.toggleAttribute("data-shown", shown);
    if (!shown || !this.bound) return;
    const box = this.bound.getBoundingClientRect();
    this.style.left = `${Math.max(8, Math.min(box.left, window.innerWidth - 288))}px`;
    this.style.top = `${box.bottom + 6}px`;
  }
}

customElements.define("crowd-alert", CrowdAlert);
customElements.define("crowd-toast", CrowdToast);
customElements.define("crowd-badge", CrowdBadge);
customElements.define("crowd-tooltip", CrowdTooltip);
