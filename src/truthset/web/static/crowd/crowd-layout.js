// Layout: <crowd-card> (a raised box), <crowd-modal> (a link or button that opens its content in a
// dialog) and <crowd-tabs> with <crowd-tab header="..."> panes. Their content stays in the light
// DOM, so named inputs inside them are part of the crowd-form answer wherever they are shown.
import { attachStyledShadow } from "./base.js";
import { ensureRegionStyles } from "./crowd-instructions.js";

const CARD_CSS = `
  :host { display: block; box-sizing: border-box; background: #fff; border-radius: 12px;
          box-shadow: 0 1px 3px rgba(15, 23, 42, 0.12), 0 1px 2px rgba(15, 23, 42, 0.06);
          overflow: hidden; }
  :host([hidden]) { display: none; }
  .image { display: block; width: 100%; max-height: 320px; object-fit: cover; }
  .image:not([src]) { display: none; }
  .heading { margin: 0; padding: 16px 18px 0; font-size: 1.1rem; font-weight: 650; }
  .heading:empty { display: none; }
  .content { display: block; }
`;

// <crowd-card heading="..." image="url">: attributes from Ground Truth's reference.
class CrowdCard extends HTMLElement {
  static observedAttributes = ["heading", "image"];

  constructor() {
    super();
    const root = attachStyledShadow(this, CARD_CSS);
    root.innerHTML += `<img class="image" part="image" alt=""><h3 class="heading" part="heading"></h3>
      <div class="content" part="content"><slot></slot></div>`;
  }

  attributeChangedCallback() {
    const image = this.shadowRoot.querySelector(".image");
    if (this.getAttribute("image")) image.src = this.getAttribute("image");
    else image.removeAttribute("src");
    this.shadowRoot.querySelector(".heading").textContent = this.getAttribute("heading") || "";
  }
}

const MODAL_CSS = `
  :host { display: inline-block; }
  .link { font: inherit; color: var(--crowd-accent); background: none; border: none; padding: 0;
          text-decoration: underline; text-underline-offset: 3px; }
  .link:focus-visible { outline: 3px solid var(--crowd-accent-soft); border-radius: 3px; }
  .trigger-button { font-weight: 600; color: var(--crowd-accent); padding: 8px 14px; }
  dialog { border: none; border-radius: 14px; padding: 0; width: min(680px, calc(100vw - 48px));
           max-height: min(84vh, 900px); box-shadow: 0 24px 64px rgba(15, 23, 42, 0.35);
           color: inherit; }
  dialog[open] { display: flex; flex-direction: column; }
  dialog::backdrop { background: rgba(15, 23, 42, 0.55); }
  .bar { display: flex; justify-content: flex-end; padding: 8px 10px 0; }
  .close { border: none; background: transparent; font-size: 1.5rem; line-height: 1;
           width: 36px; height: 36px; padding: 0; color: var(--crowd-muted); }
  .close:hover { background: #f3f4f6; color: #111827; }
  .body { padding: 4px 24px 24px; overflow: auto; line-height: 1.6; }
`;

// <crowd-modal link-text="See examples" link-type="button">content</crowd-modal>. Defaults from
// Ground Truth's reference: link-text "Click to open modal", link-type "link". Escape, the close
// button or a click beside the dialog closes it; open() and close() do it from a script.
class CrowdModal extends HTMLElement {
  static observedAttributes = ["link-text", "link-type"];

  constructor() {
    super();
    const root = attachStyledShadow(this, MODAL_CSS);
    root.innerHTML += `<button type="button" aria-haspopup="dialog"></button>
      <dialog part="dialog" aria-label="Details"><div class="bar"><button type="button"
        class="close" aria-label="Close">&times;</button></div>
        <div class="body" part="body"><slot></slot></div></dialog>`;
    this.trigger = root.querySelector("button");
    this.dialog = root.querySelector("dialog");
    this.trigger.addEventListener("click", () => this.open());
    root.querySelector(".close").addEventListener("click", () => this.close());
    this.dialog.addEventListener("click", (event) => {
      if (event.target === this.dialog) this.close();
    });
  }

  connectedCallback() {
    this.render();
  }

  attributeChangedCallback() {
    this.render();
  }

  render() {
    const asButton = this.getAttribute("link-type") === "button";
    this.trigger.className = asButton ? "trigger-button" : "link";
    this.trigger.setAttribute("part", asButton ? "button" : "link");
    this.trigger.textContent = this.getAttribute("link-text") || "Click to open modal";
    this.dialog.setAttribute("aria-label", this.trigger.textContent);
  }

  open() {
    if (!this.dialog.open) this.dialog.showModal();
  }

  close() {
    this.dialog.close();
  }

  get opened() {
    return this.dialog.open;
  }

  /** crowd-form shows a field that has a problem: open the dialog that holds it. */
  crowdReveal() {
    this.open();
  }
}

const TABS_CSS = `
  :host { display: block; margin: 8px 0 16px; }
  .list { display: flex; gap: 2px; border-bottom: 1px solid #e5e7eb; overflow-x: auto; }
  .tab { border: none; border-bottom: 3px solid transparent; border-radius: 0; background: none;
         padding: 10px 14px 8px; font-weight: 600; color: var(--crowd-muted); white-space: nowrap; }
  .tab:hover { color: #111827; }
  .tab[aria-selected="true"] { color: var(--crowd-accent); border-bottom-color: var(--crowd-accent); }
  .tab:focus-visible { outline: 3px solid var(--crowd-accent-soft); outline-offset: -3px; }
  .panes { padding-top: 14px; }
`;

let tabsCount = 0;

// <crowd-tabs> of <crowd-tab header="...">: one pane shown at a time. The tab list follows the
// WAI-ARIA tabs pattern: arrow keys move between tabs and show them, Home/End jump to the ends.
class CrowdTabs extends HTMLElement {
  constructor() {
    super();
    const root = attachStyledShadow(this, TABS_CSS);
    root.innerHTML += `<div class="list" role="tablist" part="tabs"></div>
      <div class="panes" part="panes"><slot></slot></div>`;
    this.list = root.querySelector(".list");
    this.idPrefix = `crowd-tabs-${++tabsCount}`;
    this.current = 0;
    this.list.addEventListener("click", (event) => {
      const tab = event.target.closest(".tab");
      if (tab) this.select(Number(tab.dataset.index));
    });
    this.list.addEventListener("keydown", (event) => this.onKey(event));
    root.querySelector("slot").addEventListener("slotchange", () => this.render());
  }

  connectedCallback() {
    ensureRegionStyles(this.ownerDocument);
    this.render();
  }

  get tabs() {
    return [...this.querySelectorAll(":scope > crowd-tab")];
  }

  render() {
    const tabs = this.tabs;
    this.current = Math.min(this.current, Math.max(0, tabs.length - 1));
    this.list.replaceChildren(
      ...tabs.map((pane, i) => {
        const tab = document.createElement("button");
        tab.type = "button";
        tab.className = "tab";
        tab.setAttribute("role", "tab");
        tab.setAttribute("part", "tab");
        tab.dataset.index = String(i);
        tab.textContent = pane.getAttribute("header") || `Tab ${i + 1}`;
        if (!pane.id) pane.id = `${this.idPrefix}-pane-${i}`;
        pane.setAttribute("role", "tabpanel");
        pane.setAttribute("aria-label", tab.textContent);
        tab.setAttribute("aria-controls", pane.id);
        return tab;
      }),
    );
    this.select(this.current, false);
  }

  /** Shows the i-th tab; with `focus`, moves the keyboard focus to its tab. */
  select(index, focus = false) {
    const tabs = this.tabs;
    if (!tabs.length) return;
    this.current = Math.max(0, Math.min(tabs.length - 1, index));
    [...this.list.children].forEach((tab, i) => {
      const on = i === this.current;
      tab.setAttribute("aria-selected", String(on));
      tab.tabIndex = on ? 0 : -1;
      if (on && focus) tab.focus();
    });
    tabs.forEach((pane, i) => (pane.hidden = i !== this.current));
  }

  get selected() {
    return this.current;
  }

  set selected(index) {
    this.select(Number(index));
  }

  onKey(event) {
    const count = this.tabs.length;
    const moves = { ArrowRight: this.current + 1, ArrowLeft: this.current - 1 + count };
    let next = null;
    if (event.key in moves) next = moves[event.key] % count;
    else if (event.key === "Home") next = 0;
    else if (event.key === "End") next = count - 1;
    if (next === null) return;
    event.preventDefault();
    this.select(next, true);
  }

  /** crowd-form shows a field that has a problem: switch to the tab that holds it. */
  crowdReveal(field) {
    const index = this.tabs.findIndex((pane) => pane.contains(field));
    if (index >= 0) this.select(index);
  }
}

// A pane of crowd-tabs; its `header` is the tab's text.
class CrowdTab extends HTMLElement {
  static observedAttributes = ["header"];

  constructor() {
    super();
    attachStyledShadow(this, `:host { display: block; } :host([hidden]) { display: none; }`)
      .append(document.createElement("slot"));
  }

  attributeChangedCallback() {
    const tabs = this.parentElement;
    if (tabs?.localName === "crowd-tabs" && tabs.render) tabs.render();
  }
}

customElements.define("crowd-card", CrowdCard);
customElements.define("crowd-modal", CrowdModal);
customElements.define("crowd-tabs", CrowdTabs);
customElements.define("crowd-tab", CrowdTab);
