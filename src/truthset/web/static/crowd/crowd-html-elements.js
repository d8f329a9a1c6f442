// Entry point of truthset's Crowd HTML Elements: templates load this one module (the server
// rewrites Ground Truth's https://assets.crowd.aws/crowd-html-elements.js to it).
import "./crowd-form.js";
import "./crowd-instructions.js";
import "./crowd-text-fields.js";
import "./crowd-toggles.js";
import "./crowd-slider.js";
import "./crowd-layout.js";
import "./crowd-classifier.js";
import "./crowd-bounding-box.js";
import "./crowd-keypoint.js";
import "./crowd-polygon.js";
import "./crowd-polyline.js";
import "./crowd-semantic-segmentation.js";
import "./crowd-instance-segmentation.js";
import "./crowd-entity-annotation.js";
import "./crowd-text-ranking.js";
import "./crowd-question-answer-generation.js";
import "./crowd-rekognition-detect-moderation-labels.js";
import "./crowd-textract-analyze-document.js";
import "./frame-bridge.js";

// Ground Truth fires `all-crowd-elements-ready` on the document once every element is defined;
// gallery templates wait for it before they reach into the elements (`annotator.labels = []`).
// This module runs after the page is parsed, so the templates' listeners are already in place.
function announceReady() {
  document.dispatchEvent(new Event("all-crowd-elements-ready"));
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", announceReady, { once: true });
} else {
  setTimeout(announceReady, 0);
}
