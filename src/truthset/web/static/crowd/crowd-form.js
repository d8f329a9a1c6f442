// <crowd-form>: the wrapper of every template. It gathers the answer (form-answer.js) from every
// element that follows the element contract in base.js and from named native inputs, and
// delivers it. Message protocol with the worker portal when the template runs in an iframe:
//   frame -> parent  {type: "truthset:ready"}                  form connected, elements defined
//   frame -> parent  {type: "truthset:submit", answer}         the worker submitted
//   parent -> frame  {type: "truthset:submit-result", ok, message}
// Outside an iframe the form dispatches `crowd-submit` (detail = answer) instead.
//
// Keyboard rules every element can rely on (see shortcutAllowed): Enter submits unless the focus
// is in a text field, on a control with its own Enter action (a button, a link), or in a dialog, or
// an element already called preventDefault(). A button that should submit on Enter rather than
// be clicked again carries the `data-enter-submits` attribute. Ctrl/Cmd+Enter submits even while
// typing.
import { attachStyledShadow, isTyping } from "./base.js";
import "./crowd-button.js";
import "./crowd-messages.js";
import { createInstructionsPanel } from "./crowd-instructions.js";
import { collectAnswer, resetFields } from "./form-answer.js";

const SUBMIT_TIMEOUT_MS = 30000;

/** Gives a tool that a template placed outside any crowd-form a form of its own, in its shadow
 * root, as AWS's crowd-entity-annotation has (gallery templates use it without a crowd-form). The
 * form collects the tool's own answer (form-answer.js) and shows the Submit button. */
export function ownForm(tool) {
  if (tool.closest("crowd-form") || tool.shadowRoot.querySelector("crowd-form")) return null;
  const form = document.createElement("crowd-form");
  tool.shadowRoot.appendChild(form);
  // Regions and other content the template put beside the tool are not the form's instructions.
  form.instructionsBuilt = true;
  return form;
}

/** True when a key press may trigger an element's shortcut: nobody consumed it, no text field or
 * open dialog has the focus, and no Ctrl/Alt/Meta modifier is held. */
export function shortcutAllowed(event) {
  if (event.defaultPrevented || event.ctrlKey || event.altKey || event.metaKey) return false;
  if (isTyping(event)) return false;
  return !composedPathOf(event).some((node) => node.tagName === "DIALOG");
}

function composedPathOf(event) {
  return event.composedPath ? event.composedPath() : [event.target];
}

// Containers that hide part of their content (crowd-tabs, crowd-modal) show the field with a
// problem when asked through crowdReveal(field).
function revealField(field) {
  for (let node = field.parentElement; node; node = node.parentElement) {
    if (typeof node.crowdReveal === "function") node.crowdReveal(field);
  }
}

const ENTER_ROLES = ["button", "link", "menuitem", "option", "tab", "checkbox", "radio", "switch"];

function ownsEnter(node) {
  if (!(node instanceof HTMLElement) || node.hasAttribute("data-enter-submits")) return false;
  if (node.tagName === "BUTTON" || node.tagName === "SUMMARY") return true;
  if (node.tagName === "A" && node.hasAttribute("href")) return true;
  return ENTER_ROLES.includes(node.getAttribute("role"));
}

const FORM_CSS = `
  :host { display: block; }
  .footer { position: sticky; bottom: 0; z-index: 5; display: flex; align-items: center; gap: 16px;
            padding: 14px 20px; margin-top: 12px; background: rgba(255, 255, 255, 0.96);
            border-top: 1px solid #e5e7eb; backdrop-filter: blur(6px); }
  .footer[hidden] { display: none; }
  .hint { flex: 1; font-size: 0.85rem; color: var(--crowd-muted); }
  .status { font-size: 0.9rem; color: var(--crowd-muted); }
  .layout { display: flex; align-items: flex-start; gap: 20px; }
  .side { flex: 0 0 clamp(200px, 24%, 300px); position: sticky; top: 12px;
          height: min(640px, calc(100vh - var(--crowd-footer-height, 0px) - 24px)); }
  .side > * { height: 100%; }
  .main { flex: 1; min-width: 0; }
  [hidden] { display: none !important; }
  @media (max-width: 800px) {
    .layout { flex-direction: column; align-items: stretch; }
    .side { position: static; flex: none; height: auto; max-height: 50vh; }
  }
`;

class CrowdForm extends HTMLElement {
  constructor() {
    super();
    const root = attachStyledShadow(this, FORM_CSS);
    root.innerHTML += `
      <div class="layout" part="layout"><aside class="side" part="instructions" hidden></aside>
        <div class="main" part="main"><slot></slot></div></div>
      <div class="footer" part="footer" hidden>
        <span class="hint"><kbd>Enter</kbd> submits</span>
        <crowd-button form-action="submit" variant="primary" part="submit"
          exportparts="button: submit-button, problem: submit-problem">Submit</crowd-button>
      </div>`;
    this.footer = root.querySelector(".footer");
    this.autoButton = root.querySelector("crowd-button");
    this.busy = false;
    this.readyPosted = false;
    this.addEventListener("click", (event) => this.onClick(event));
    this.addEventListener("input", () => this.clearProblem());
    this.addEventListener("change", () => this.clearProblem());
    this.onKeydown = (event) => this.handleKeydown(event);
    this.onMessage = (event) => this.handleMessage(event);
  }

  connectedCallback() {
    document.addEventListener("keydown", this.onKeydown);
    window.addEventListener("message", this.onMessage);
    this.whenParsed(() => {
      this.buildInstructions();
      this.footer.hidden = Boolean(this.templateSubmitButton());
      this.trackFooterHeight();
      this.postReady();
    });
  }

  disconnectedCallback() {
    document.removeEventListener("keydown", this.onKeydown);
    window.removeEventListener("message", this.onMessage);
    this.footerObserver?.disconnect();
  }

  // Regions placed directly in the form (templates of crowd-input questions do this) get the same
  // side panel as an annotation tool's: short instructions shown, full ones in a modal.
  buildInstructions() {
    if (this.instructionsBuilt) return;
    this.instructionsBuilt = true;
    const panel = createInstructionsPanel(this);
    if (!panel) return;
    const side = this.shadowRoot.querySelector(".side");
    side.append(panel);
    side.hidden = false;
  }

  whenParsed(callback) {
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", callback, { once: true });
    } else {
      // Sibling element modules may still be evaluating; a task later they are all defined.
      setTimeout(callback, 0);
    }
  }

  // Tools size themselves to the viewport minus this footer (var --crowd-footer-height).
  trackFooterHeight() {
    const update = () => {
      const height = this.footer.hidden ? 0 : this.footer.offsetHeight + 12;
      this.style.setProperty("--crowd-footer-height", `${height}px`);
      this.ownerTool?.style.setProperty("--crowd-footer-height", `${height}px`);
    };
    this.footerObserver = new ResizeObserver(update);
    this.footerObserver.observe(this.footer);
    update();
  }

  templateSubmitButton() {
    return this.querySelector(
      'crowd-button[form-action="submit"], button[type="submit"], input[type="submit"]',
    );
  }

  submitButton() {
    return this.templateSubmitButton() || this.autoButton;
  }

  // Called once every element module has been evaluated: a crowd-* tag still undefined then is
  // one truthset does not implement, and waiting for it would never end.
  postReady() {
    if (this.readyPosted || window.parent === window) return;
    const tags = new Set([...this.querySelectorAll("*")].map((el) => el.localName));
    const unknown = [...tags].filter((tag) => tag.startsWith("crowd-") && !customElements.get(tag));
    if (unknown.length) console.warn(`truthset: unsupported Crowd HTML Elements: ${unknown}`);
    this.readyPosted = true;
    window.parent.postMessage({ type: "truthset:ready" }, "*");
  }

  onClick(event) {
    const path = composedPathOf(event);
    const trigger = path.find(
      (node) =>
        node instanceof HTMLElement &&
        (node.matches('crowd-button[form-action="submit"], crowd-button[form-action="reset"]') ||
          node.matches('button[type="submit"], input[type="submit"]')),
    );
    if (!trigger || trigger.hasAttribute("disabled") || trigger.hasAttribute("loading")) return;
    event.preventDefault();
    if (trigger.getAttribute("form-action") === "reset") this.reset();
    else this.submit();
  }

  handleKeydown(event) {
    if (event.key !== "Enter" || event.repeat || event.isComposing || event.shiftKey) return;
    const path = composedPathOf(event);
    if (!this.takesKeysFrom(path)) return;
    // Ctrl/Cmd+Enter submits even from a text field.
    const forced = event.ctrlKey || event.metaKey;
    const blocked = forced
      ? event.defaultPrevented || path.some((node) => node.tagName === "DIALOG")
      : !shortcutAllowed(event) || path.some(ownsEnter);
    if (blocked) return;
    event.preventDefault();
    this.submit();
  }

  // With several forms on a page, the one holding the focus (else the first) takes Enter.
  takesKeysFrom(path) {
    if (path.some((node) => node.tagName === "CROWD-FORM" && node !== this)) return false;
    if (path.includes(this) || path.includes(this.ownerTool)) return true;
    const first = document.querySelector("crowd-form");
    return first === this || (!first && Boolean(this.ownerTool));
  }

  /** The tool whose shadow root holds this form, when a tool brings its own (see ownForm). */
  get ownerTool() {
    const root = this.getRootNode();
    return root instanceof ShadowRoot ? root.host : null;
  }

  /** Where a template may put extra questions: `tool.shadowRoot.querySelector("crowd-form")
   * .form.appendChild(div)` (AWS's elements have an inner <form>); their fields are collected. */
  get form() {
    return this;
  }

  /** Validates, lets the template's own `submit` handlers veto, then delivers the answer.
   * Returns true when the answer was accepted. */
  async submit() {
    if (this.busy) return false;
    this.clearProblem();
    this.lastOutcome = "invalid";
    if (!this.validAnswer()) return false;
    // Ground Truth templates validate in an `onsubmit` handler and call preventDefault() (and show
    // their own message).
    const veto = !this.dispatchEvent(new Event("submit", { bubbles: true, cancelable: true }));
    this.lastOutcome = "vetoed";
    if (veto) return false;
    // Handlers may fill hidden inputs on submit: collect again.
    this.lastOutcome = "invalid";
    const answer = this.validAnswer();
    if (!answer) return false;
    this.lastOutcome = "delivered";
    if (window.parent === window) {
      this.dispatchEvent(
        new CustomEvent("crowd-submit", { detail: answer, bubbles: true, composed: true }),
      );
      return true;
    }
    return this.deliverToParent(answer);
  }

  // The answer, or null after showing the worker why not. A broken element must not make Submit
  // silently do nothing.
  validAnswer() {
    let result;
    try {
      result = collectAnswer(this);
    } catch (error) {
      console.error(error);
      this.showProblem(`The answer could not be read: ${error.message}`);
      return null;
    }
    if (!result.problem) return result.answer;
    this.showProblem(result.problem);
    revealField(result.element);
    result.element.scrollIntoView?.({ block: "nearest" });
    result.element.focus?.();
    return null;
  }

  deliverToParent(answer) {
    this.setBusy(true);
    return new Promise((resolve) => {
      this.pendingResult = (ok, message) => {
        clearTimeout(this.pendingTimer);
        this.pendingResult = null;
        this.setBusy(false, ok);
        if (!ok) this.showProblem(message || "The answer was not accepted. Try again.");
        resolve(ok);
      };
      const noAnswer = "No response from the server. Check your connection and try again.";
      const giveUp = () => this.pendingResult?.(false, noAnswer);
      this.pendingTimer = setTimeout(giveUp, SUBMIT_TIMEOUT_MS);
      window.parent.postMessage({ type: "truthset:submit", answer }, "*");
    });
  }

  handleMessage(event) {
    if (event.source !== window.parent || !event.data) return;
    if (event.data.type === "truthset:submit-result" && this.pendingResult) {
      this.pendingResult(event.data.ok === true, event.data.message);
    }
  }

  setBusy(busy, done = false) {
    this.busy = busy || done;
    const button = this.submitButton();
    if (button.localName === "crowd-button") {
      button.toggleAttribute("loading", busy);
      if (done) {
        button.setAttribute("disabled", "");
        button.textContent = "Submitted";
      }
    } else {
      button.disabled = busy || done;
    }
  }

  reset() {
    resetFields(this);
    this.clearProblem();
  }

  /** Shows a problem next to the submit button (replaces any earlier one). */
  showProblem(message) {
    const button = this.submitButton();
    if (button.localName === "crowd-button") {
      button.showProblem(message);
      return;
    }
    // A template's own native submit button: put an alert right after it.
    if (!this.nativeProblem) {
      this.nativeProblem = document.createElement("crowd-alert");
      this.nativeProblem.setAttribute("type", "error");
    }
    this.nativeProblem.textContent = message;
    this.nativeProblem.hidden = false;
    button.after(this.nativeProblem);
  }

  clearProblem() {
    const button = this.submitButton();
    if (button.localName === "crowd-button") button.clearProblem();
    if (this.nativeProblem) this.nativeProblem.hidden = true;
  }
}

customElements.define("crowd-form", CrowdForm);
