// <crowd-polyline> and <crowd-line>: open paths on an image, drawn and edited with the same tool
// as crowd-polygon (image-paths.js). Output under `name` (Ground Truth's element reference):
//   crowd-polyline: {inputImageProperties, polylines: [{label, vertices: [{x, y}, ...]}]}, 2 or
//     more vertices; Enter (or a click on the last vertex) finishes a polyline;
//   crowd-line: {inputImageProperties, lines: [{label, vertices: [{x, y}, {x, y}]}]}, exactly 2
//     vertices: click both ends, or drag from one to the other.
// Both take `initial-value` ({polylines: [...]} / {lines: [...]}, or the bare list), and then add
// initialValueModified, as the other image tools do.
import { PathAnnotator } from "./image-paths.js";

class CrowdPolyline extends PathAnnotator {
  static closed = false;
  static minVertices = 2;
  static outputKey = "polylines";
  static noun = "polyline";

  get hints() {
    return [
      ["<b>Click</b>", "add point"],
      ["<kbd>Enter</kbd>", "finish"],
      ["<kbd>Esc</kbd>", "cancel"],
      ["<kbd>1</kbd>–<kbd>9</kbd>", "label"],
      ["<kbd>Del</kbd>", "delete"],
      ["<kbd>Alt</kbd>+<b>click</b>", "remove point"],
    ];
  }
}

class CrowdLine extends PathAnnotator {
  static closed = false;
  static minVertices = 2;
  static maxVertices = 2;
  static outputKey = "lines";
  static noun = "line";

  get hints() {
    return [
      ["<b>Drag</b>", "draw line"],
      ["<b>Drag</b> line", "move"],
      ["<kbd>Esc</kbd>", "cancel"],
      ["<kbd>1</kbd>–<kbd>9</kbd>", "label"],
      ["<kbd>Del</kbd>", "delete"],
    ];
  }
}

customElements.define("crowd-polyline", CrowdPolyline);
customElements.define("crowd-line", CrowdLine);
