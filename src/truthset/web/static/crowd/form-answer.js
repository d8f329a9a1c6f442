// How <crowd-form> reads an answer: from every element that follows the element contract in
// base.js and from the named native form controls in its light DOM, as AWS's crowd-form does.
//
// Rules beyond the contract:
//   - `crowdName`, when an element defines it, is the key instead of the `name` attribute (the A2I
//     elements write under a fixed key, such as "AWS/Rekognition/DetectModerationLabels/Image/V3");
//   - a `crowdValue` of undefined leaves the key out (an empty crowd-input "does not appear in the
//     output", Ground Truth's crowd-input reference says);
//   - elements with `crowdMerges` (checkbox, radio button, toggle button) share a key: their
//     `{<value>: true|false}` objects are merged, so three checkboxes named "image_attributes"
//     give {"image_attributes": {"blurry": true, "dim": true, "exposed": false}}.

/** Key of an element's output in the answer, or null when it has none. */
export function fieldKey(element) {
  const fixed = element.crowdName;
  return typeof fixed === "string" && fixed ? fixed : element.getAttribute("name") || null;
}

/** Elements under `form` (light DOM and the open shadow roots inside it) that follow the element
 * contract: a key (see fieldKey) and a `crowdValue` property. */
export function crowdFields(form) {
  const found = [];
  const visit = (root) => {
    for (const el of root.querySelectorAll("*")) {
      if ("crowdValue" in el && fieldKey(el)) found.push(el);
      if (el.shadowRoot) visit(el.shadowRoot);
    }
  };
  visit(form);
  return found;
}

// Native controls count only in the form's light DOM: inputs inside a component's shadow root are
// that component's internals, reported through its crowdValue.
export function nativeFields(form) {
  const skip = ["submit", "button", "reset", "image", "file"];
  return [...form.querySelectorAll("input[name], select[name], textarea[name]")].filter(
    (el) => !el.disabled && !skip.includes(el.type),
  );
}

function nativeAnswer(fields) {
  const answer = {};
  const checkboxCount = {};
  for (const el of fields) {
    if (el.type === "checkbox") checkboxCount[el.name] = (checkboxCount[el.name] || 0) + 1;
  }
  for (const el of fields) {
    if (el.type === "radio") {
      if (el.checked) answer[el.name] = el.value;
    } else if (el.type === "checkbox") {
      // One checkbox is a yes/no answer; several sharing a name are a list of the checked values.
      if (checkboxCount[el.name] === 1) answer[el.name] = el.checked;
      else answer[el.name] = [...(answer[el.name] || []), ...(el.checked ? [el.value] : [])];
    } else if (el.tagName === "SELECT" && el.multiple) {
      answer[el.name] = [...el.selectedOptions].map((option) => option.value);
    } else {
      answer[el.name] = el.value;
    }
  }
  return answer;
}

function fieldLabel(el) {
  const label = el.labels?.[0]?.textContent.trim().replace(/:$/, "");
  return label || el.getAttribute("aria-label") || el.getAttribute("placeholder") || el.name;
}

const isPlainObject = (value) =>
  value !== null && typeof value === "object" && !Array.isArray(value);

function addField(answer, element) {
  const key = fieldKey(element);
  const value = element.crowdValue;
  if (value === undefined) return;
  const prior = answer[key];
  answer[key] = element.crowdMerges && isPlainObject(prior) && isPlainObject(value)
    ? { ...prior, ...value }
    : value;
}

/** Validates and collects the answer of a form: `{problem, element}` for the first problem found,
 * otherwise `{answer}`, the object `{<key>: value}` the form would deliver. */
export function collectAnswer(form) {
  const fields = crowdFields(form);
  // A form inside a tool's shadow root (crowd-form.js ownForm) answers for that tool too.
  const host = form.getRootNode().host;
  if (host && "crowdValue" in host && fieldKey(host)) fields.unshift(host);
  for (const element of fields) {
    const problem = typeof element.crowdValidate === "function" ? element.crowdValidate() : null;
    if (problem) return { problem, element };
  }
  const natives = nativeFields(form);
  for (const element of natives) {
    if (!element.checkValidity()) {
      return { problem: `${fieldLabel(element)}: ${element.validationMessage}`, element };
    }
  }
  const answer = nativeAnswer(natives);
  for (const element of fields) addField(answer, element);
  return { answer };
}

/** Native controls back to their initial values, crowd elements to theirs (crowdReset). */
export function resetFields(form) {
  for (const el of nativeFields(form)) {
    if (el.type === "checkbox" || el.type === "radio") el.checked = el.defaultChecked;
    else if (el.tagName === "SELECT") for (const o of el.options) o.selected = o.defaultSelected;
    else el.value = el.defaultValue;
  }
  for (const el of crowdFields(form)) el.crowdReset?.();
}
