// <crowd-rekognition-detect-moderation-labels> (Amazon A2I): review an Amazon Rekognition image
// moderation result. It is crowd-image-classifier-multi-select with A2I's categories and output.
//
// Attributes (A2I's element reference): header, src, categories (strings, or objects with a
// `name`; `{ name: "Gore", parentName: "Violence" }` as the A2I sample template writes them),
// exclusion-category (a button under the categories that clears and disables them).
// Output, under a fixed key and whatever `name` says:
//   {"AWS/Rekognition/DetectModerationLabels/Image/V3": {"ModerationLabels": [...]}}
// with the chosen categories as given: the full objects when the categories are objects, the
// strings otherwise; [] after choosing the exclusion category.
import { parseAttr } from "./base.js";
import { classifierClass } from "./crowd-classifier.js";

export const REKOGNITION_KEY = "AWS/Rekognition/DetectModerationLabels/Image/V3";

class CrowdRekognitionDetectModerationLabels extends classifierClass(true, true) {
  get crowdName() {
    return REKOGNITION_KEY;
  }

  /** The categories exactly as the attribute gives them (strings or objects). */
  get rawCategories() {
    try {
      const parsed = parseAttr(this.getAttribute("categories"), []);
      return Array.isArray(parsed) ? parsed : [];
    } catch (_) {
      return [];
    }
  }

  get crowdValue() {
    const raw = this.rawCategories;
    const chosen = [...this.selected].sort((a, b) => a - b).map((i) => raw[i]);
    return { ModerationLabels: chosen.filter((entry) => entry !== undefined) };
  }
}

customElements.define("crowd-rekognition-detect-moderation-labels", CrowdRekognitionDetectModerationLabels);
