// <crowd-polygon>: outline objects with polygons; select, move, reshape, relabel and delete them.
// Output (ground-truth.md 8.3): {inputImageProperties: {height, width}, initialValueModified?,
// polygons: [{label, vertices: [{x, y}]}]}. The tool is image-paths.js with closed paths.
import { PathAnnotator, pathsFromInitialValue } from "./image-paths.js";

/** Polygons of an initial value: `[{label, vertices: [{x, y}]}]` or `{polygons: [...]}`, vertices
 * rounded and clipped to the image; polygons with fewer than 3 vertices are dropped. */
export function polygonsFromInitialValue(value, width, height) {
  return pathsFromInitialValue(value, width, height, { key: "polygons", min: 3 });
}

class CrowdPolygon extends PathAnnotator {
  get hints() {
    return [
      ["<b>Click</b>", "add point"],
      ["<kbd>Enter</kbd>", "close"],
      ["<kbd>Esc</kbd>", "cancel"],
      ["<kbd>1</kbd>–<kbd>9</kbd>", "label"],
      ["<kbd>Del</kbd>", "delete"],
      ["<kbd>Alt</kbd>+<b>click</b>", "remove point"],
    ];
  }
}

customElements.define("crowd-polygon", CrowdPolygon);
