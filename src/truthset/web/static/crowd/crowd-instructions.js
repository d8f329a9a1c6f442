// <crowd-instructions>, and the instructions side panel that every annotation element builds from
// its <short-instructions> and <full-instructions> children.
//
// Instruction regions stay in the light DOM and are shown through slots, so the template's own CSS
// (and its images, links and scripts) keep working inside them.
import { attachStyledShadow } from "./base.js";

// Low specificity (:where) so a template's own rules for these tags always win.
const REGION_CSS = `
  :where(short-instructions, full-instructions, short-summary, detailed-instructions,
         positive-example, negative-example, classification-target) { display: block; }
  :where(short-instructions, full-instructions, short-summary, detailed-instructions,
         positive-example, negative-example, classification-target)
    :where(img, video, canvas, iframe, svg) { max-width: 100%; height: auto; }
  :where(short-instructions, full-instructions, short-summary, detailed-instructions,
         positive-example, negative-example) > :where(:first-child) { margin-top: 0; }
  :where(short-instructions, full-instructions, short-summary, detailed-instructions,
         positive-example, negative-example) > :where(:last-child) { margin-bottom: 0; }
`;

let regionSheet = null;

/** Adds the document-level rules for region tags (block display, media kept inside the panel).
 * Slotted content is styled by the document, not by the shadow root that shows it. Idempotent. */
export function ensureRegionStyles(doc = document) {
  if (regionSheet && doc.adoptedStyleSheets.includes(regionSheet)) return;
  regionSheet = regionSheet || new CSSStyleSheet();
  regionSheet.replaceSync(REGION_CSS);
  doc.adoptedStyleSheets = [...doc.adoptedStyleSheets, regionSheet];
}

const DIALOG_CSS = `
  dialog { border: none; border-radius: 14px; padding: 0; width: min(760px, calc(100vw - 48px));
           max-height: min(84vh, 900px); box-shadow: 0 24px 64px rgba(15, 23, 42, 0.35);
           color: inherit; }
  dialog[open] { display: flex; flex-direction: column; }
  dialog::backdrop { background: rgba(15, 23, 42, 0.55); }
  dialog:focus { outline: none; }
  .dialog-head { display: flex; align-items: center; gap: 12px; padding: 18px 24px;
                 border-bottom: 1px solid #e5e7eb; }
  .dialog-head h2 { flex: 1; margin: 0; font-size: 1.15rem; font-weight: 650; }
  .close { border: none; background: transparent; font-size: 1.5rem; line-height: 1;
           width: 36px; height: 36px; padding: 0; color: var(--crowd-muted); }
  .close:hover { background: #f3f4f6; color: #111827; }
  .dialog-body { padding: 20px 24px; overflow: auto; line-height: 1.6; }
  .dialog-foot { display: flex; justify-content: flex-end; padding: 14px 24px;
                 border-top: 1px solid #e5e7eb; }
  .done { background: var(--crowd-accent); border-color: var(--crowd-accent); color: #fff;
          font-weight: 600; padding: 8px 18px; }
  .done:hover { background: #1d4ed8; }
`;

function dialogMarkup(bodyHtml) {
  return `
    <dialog part="dialog" tabindex="-1" aria-labelledby="dialog-title">
      <div class="dialog-head"><h2 id="dialog-title"></h2>
        <button type="button" class="close" aria-label="Close">&times;</button></div>
      <div class="dialog-body" part="dialog-body">${bodyHtml}</div>
      <div class="dialog-foot"><button type="button" class="done">Close</button></div>
    </dialog>`;
}

function wireDialog(root) {
  const dialog = root.querySelector("dialog");
  for (const button of root.querySelectorAll(".close, .done")) {
    button.addEventListener("click", () => dialog.close());
  }
  // A click on the backdrop lands on the dialog element itself: close, as modals usually do.
  dialog.addEventListener("click", (event) => {
    if (event.target === dialog) dialog.close();
  });
  return dialog;
}

const PANEL_CSS = `
  :host { display: block; min-height: 0; }
  .panel { display: flex; flex-direction: column; gap: 14px; height: 100%; box-sizing: border-box;
           padding: 18px 18px 16px; background: #f8fafc; border: 1px solid #e5e7eb;
           border-radius: 12px; overflow: hidden; }
  .title { margin: 0; font-size: 0.75rem; font-weight: 700; letter-spacing: 0.06em;
           text-transform: uppercase; color: var(--crowd-muted); }
  .short { flex: 1; min-height: 0; overflow: auto; font-size: 0.95rem; line-height: 1.55;
           color: #374151; }
  .open-full { align-self: stretch; display: flex; align-items: center; justify-content: center;
               gap: 8px; padding: 9px 12px; font-weight: 600; color: var(--crowd-accent);
               background: #fff; }
  .open-full svg { width: 16px; height: 16px; }
  .open-full:hover { background: var(--crowd-accent-soft); }
  [hidden] { display: none !important; }
` + DIALOG_CSS;

// Internal element: the side panel. Built by createInstructionsPanel inside another element's
// shadow root; it receives the host's regions through forwarded slots named "short" and "full".
class CrowdInstructionsPanel extends HTMLElement {
  static observedAttributes = ["full-header"];

  constructor() {
    super();
    const root = attachStyledShadow(this, PANEL_CSS);
    root.innerHTML += `
      <section class="panel" part="panel" aria-labelledby="panel-title">
        <h2 class="title" id="panel-title">Instructions</h2>
        <div class="short" part="short"><slot name="short"></slot></div>
        <button type="button" class="open-full" part="full-button" aria-haspopup="dialog" hidden>
          <svg viewBox="0 0 16 16" aria-hidden="true" fill="none" stroke="currentColor"
               stroke-width="1.6"><path d="M3 2.5h7l3 3V13.5H3z"/>
            <path d="M5.5 8h5M5.5 10.5h5"/></svg>
          View full instructions</button>
      </section>` + dialogMarkup(`<slot name="full"></slot>`);
    this.dialog = wireDialog(root);
    this.fullButton = root.querySelector(".open-full");
    this.fullButton.addEventListener("click", () => this.showFull());
    root.querySelector('slot[name="full"]').addEventListener("slotchange", () => this.render());
    this.render();
  }

  attributeChangedCallback() {
    this.render();
  }

  render() {
    const title = this.getAttribute("full-header") || "Instructions";
    this.shadowRoot.querySelector("#dialog-title").textContent = title;
    this.fullButton.hidden = !this.querySelector('[slot="full"]');
  }

  /** Opens the full instructions as a modal dialog. */
  showFull() {
    if (!this.dialog.open) this.dialog.showModal();
  }

  get fullOpen() {
    return this.dialog.open;
  }
}

customElements.define("crowd-instructions-panel", CrowdInstructionsPanel);

/**
 * Builds the instructions side panel for an annotation element from its light-DOM children
 * `<short-instructions>` (always visible) and `<full-instructions header="...">` (a "View full
 * instructions" button opens them in a modal). Returns null when the element has neither.
 *
 * Call it from the element's render, then put the returned node anywhere in its shadow root:
 *
 *   const panel = createInstructionsPanel(this);
 *   if (panel) layout.prepend(panel);     // panel.showFull() opens the modal
 *
 * The regions are assigned to slots (their `slot` attribute is set), so they are not moved.
 */
export function createInstructionsPanel(host) {
  const short = host.querySelector(":scope > short-instructions");
  const full = host.querySelector(":scope > full-instructions");
  if (!short && !full) return null;
  ensureRegionStyles(host.ownerDocument);
  const panel = document.createElement("crowd-instructions-panel");
  panel.setAttribute("part", "instructions");
  panel.setAttribute(
    "exportparts",
    "panel: instructions-panel, short: instructions-short, full-button: instructions-button, " +
      "dialog: instructions-dialog, dialog-body: instructions-dialog-body",
  );
  adoptAwsClassNames(panel);
  if (short) forwardRegion(panel, short, "short-instructions", "short");
  if (full) {
    forwardRegion(panel, full, "full-instructions", "full");
    panel.setAttribute("full-header", full.getAttribute("header") || "Instructions");
  }
  return panel;
}

// Gallery templates resize the instructions through AWS's own class names
// (custom-instructions-width: `tool.shadowRoot.querySelector(".awsui-app-layout__navigation")
// .style.width = "400px"`, and the same for ".awsui-modal-dialog"). The panel carries the first;
// the dialog is inside the panel's own shadow root, so a hidden stand-in carries the second and
// hands its width settings on to the dialog.
function adoptAwsClassNames(panel) {
  panel.classList.add("awsui-app-layout__navigation");
  const standIn = document.createElement("div");
  standIn.className = "awsui-modal-dialog";
  standIn.hidden = true;
  panel.appendChild(standIn);
  new MutationObserver(() => {
    for (const property of ["width", "maxWidth", "minWidth"]) {
      panel.dialog.style[property] = standIn.style[property];
    }
  }).observe(standIn, { attributes: true, attributeFilter: ["style"] });
}

function forwardRegion(panel, region, hostSlot, panelSlot) {
  region.slot = hostSlot;
  const slot = document.createElement("slot");
  slot.name = hostSlot;
  slot.slot = panelSlot;
  panel.appendChild(slot);
}

// Tabs of <crowd-instructions>, in Ground Truth's order; a tab shows only when it has content.
const TABS = [
  { id: "summary", title: "Summary", regions: ["short-summary"] },
  { id: "detailed", title: "Detailed instructions", regions: ["detailed-instructions"] },
  { id: "examples", title: "Examples", regions: ["positive-example", "negative-example"] },
];

const INSTRUCTIONS_CSS = `
  :host { display: inline-block; }
  .link { font: inherit; color: var(--crowd-accent); background: none; border: none; padding: 0;
          text-decoration: underline; text-underline-offset: 3px; cursor: pointer; }
  .link:hover { color: #1d4ed8; }
  .link:focus-visible { outline: 3px solid var(--crowd-accent-soft); border-radius: 3px; }
  .trigger-button { font-weight: 600; color: var(--crowd-accent); padding: 8px 14px; }
  .tabs { display: flex; gap: 4px; padding: 0 24px; border-bottom: 1px solid #e5e7eb; }
  .tab { border: none; border-bottom: 3px solid transparent; border-radius: 0; background: none;
         padding: 12px 10px 9px; font-weight: 600; color: var(--crowd-muted); }
  .tab[aria-selected="true"] { color: var(--crowd-accent);
                               border-bottom-color: var(--crowd-accent); }
  .tab:hover { color: #111827; }
  .example { border-radius: 10px; padding: 14px 16px; margin-bottom: 14px; border: 1px solid; }
  .example h3 { margin: 0 0 8px; font-size: 0.8rem; letter-spacing: 0.05em;
                text-transform: uppercase; }
  .good { background: #f0fdf4; border-color: #bbf7d0; }
  .good h3 { color: #15803d; }
  .bad { background: #fef2f2; border-color: #fecaca; }
  .bad h3 { color: #b91c1c; }
  [hidden] { display: none !important; }
` + DIALOG_CSS;

class CrowdInstructions extends HTMLElement {
  static observedAttributes = ["link-text", "link-type"];

  constructor() {
    super();
    const root = attachStyledShadow(this, INSTRUCTIONS_CSS);
    const tabs = TABS.map(
      (tab) => `<button type="button" class="tab" role="tab" id="tab-${tab.id}"
                 aria-controls="pane-${tab.id}" data-tab="${tab.id}">${tab.title}</button>`,
    ).join("");
    const body = `
      <div role="tabpanel" id="pane-summary" aria-labelledby="tab-summary">
        <slot name="short-summary"></slot></div>
      <div role="tabpanel" id="pane-detailed" aria-labelledby="tab-detailed">
        <slot name="detailed-instructions"></slot></div>
      <div role="tabpanel" id="pane-examples" aria-labelledby="tab-examples">
        <section class="example good" part="positive-example"><h3>Good example</h3>
          <slot name="positive-example"></slot></section>
        <section class="example bad" part="negative-example"><h3>Bad example</h3>
          <slot name="negative-example"></slot></section></div>`;
    root.innerHTML += `<span class="trigger-slot"></span>` + dialogMarkup(body);
    const dialog = wireDialog(root);
    dialog.querySelector(".dialog-head").insertAdjacentHTML(
      "afterend",
      `<div class="tabs" role="tablist" aria-label="Instructions">${tabs}</div>`,
    );
    root.querySelector("#dialog-title").textContent = "Instructions";
    root.querySelector(".tabs").addEventListener("click", (event) => {
      const tab = event.target.closest(".tab");
      if (tab) this.selectTab(tab.dataset.tab);
    });
    root.querySelector(".tabs").addEventListener("keydown", (event) => this.moveTab(event));
    this.dialog = dialog;
  }

  connectedCallback() {
    ensureRegionStyles(this.ownerDocument);
    for (const tab of TABS) {
      for (const region of tab.regions) {
        for (const node of this.querySelectorAll(`:scope > ${region}`)) node.slot = region;
      }
    }
    this.renderTrigger();
  }

  attributeChangedCallback() {
    if (this.isConnected) this.renderTrigger();
  }

  renderTrigger() {
    const holder = this.shadowRoot.querySelector(".trigger-slot");
    const asButton = this.getAttribute("link-type") === "button";
    const trigger = document.createElement("button");
    trigger.type = "button";
    trigger.className = asButton ? "trigger-button" : "link";
    trigger.setAttribute("part", asButton ? "button" : "link");
    trigger.setAttribute("aria-haspopup", "dialog");
    trigger.textContent = this.getAttribute("link-text") || "Click for instructions";
    trigger.addEventListener("click", () => this.open());
    holder.replaceChildren(trigger);
  }

  availableTabs() {
    return TABS.filter((tab) => tab.regions.some((r) => this.querySelector(`:scope > ${r}`)));
  }

  /** Opens the instructions on their first non-empty tab. */
  open() {
    const available = this.availableTabs();
    for (const tab of TABS) {
      this.shadowRoot.querySelector(`#tab-${tab.id}`).hidden = !available.includes(tab);
    }
    const examples = this.shadowRoot.querySelector("#pane-examples");
    examples.querySelector(".good").hidden = !this.querySelector(":scope > positive-example");
    examples.querySelector(".bad").hidden = !this.querySelector(":scope > negative-example");
    this.selectTab((available[0] || TABS[0]).id);
    if (!this.dialog.open) this.dialog.showModal();
  }

  close() {
    this.dialog.close();
  }

  selectTab(id) {
    for (const tab of TABS) {
      const selected = tab.id === id;
      const button = this.shadowRoot.querySelector(`#tab-${tab.id}`);
      button.setAttribute("aria-selected", String(selected));
      button.tabIndex = selected ? 0 : -1;
      this.shadowRoot.querySelector(`#pane-${tab.id}`).hidden = !selected;
    }
  }

  moveTab(event) {
    if (event.key !== "ArrowRight" && event.key !== "ArrowLeft") return;
    const tabs = [...this.shadowRoot.querySelectorAll(".tab:not([hidden])")];
    const current = tabs.findIndex((tab) => tab.getAttribute("aria-selected") === "true");
    const step = event.key === "ArrowRight" ? 1 : -1;
    const next = tabs[(current + step + tabs.length) % tabs.length];
    this.selectTab(next.dataset.tab);
    next.focus();
    event.preventDefault();
  }
}

customElements.define("crowd-instructions", CrowdInstructions);
