// Entry point of truthset's Crowd HTML Elements: templates load this one module (the server
// rewrites Ground Truth's https://assets.crowd.aws/crowd-html-elements.js to it).
import "./crowd-form.js";
import "./crowd-instructions.js";
import "./crowd-classifier.js";
import "./crowd-bounding-box.js";
import "./crowd-keypoint.js";
import "./crowd-polygon.js";
import "./crowd-semantic-segmentation.js";
import "./crowd-entity-annotation.js";
import "./frame-bridge.js";
