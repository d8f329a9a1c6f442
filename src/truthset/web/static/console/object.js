// One object of the results explorer: every worker's answer drawn over the media (boxes,
// polygons, points, masks) or marked in the text (entity spans), each worker in its own colour
// and toggled by the checkbox beside the answer.
const COLORS = ["#2563eb", "#dc2626", "#16a34a", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#65a30d"];
const SVG = "http://www.w3.org/2000/svg";

/** Every shape an answer holds, found by its fields whatever the element's name is. */
function shapes(value, found = { boxes: [], polygons: [], points: [], masks: [], spans: [] }) {
  if (Array.isArray(value)) value.forEach((item) => shapes(item, found));
  else if (value && typeof value === "object") {
    if (["left", "top", "width", "height"].every((k) => typeof value[k] === "number")) found.boxes.push(value);
    else if (Array.isArray(value.vertices)) found.polygons.push(value);
    else if (typeof value.x === "number" && typeof value.y === "number") found.points.push(value);
    else if (typeof value.startOffset === "number" && typeof value.endOffset === "number") found.spans.push(value);
    else if (typeof value.pngImageData === "string") found.masks.push(value.pngImageData);
    else Object.values(value).forEach((item) => shapes(item, found));
  }
  return found;
}

function element(name, attributes) {
  const node = document.createElementNS(SVG, name);
  for (const [key, val] of Object.entries(attributes)) node.setAttribute(key, String(val));
  return node;
}

function drawImage(viewer, image, answers) {
  const layers = [];
  const width = image.naturalWidth, height = image.naturalHeight;
  answers.forEach((answer, index) => {
    const color = COLORS[index % COLORS.length];
    const found = shapes(answer.content);
    const svg = element("svg", { viewBox: `0 0 ${width} ${height}`, preserveAspectRatio: "none", "data-layer": index });
    const stroke = { fill: "none", stroke: color, "stroke-width": Math.max(2, width / 300) };
    for (const b of found.boxes) svg.appendChild(element("rect", { x: b.left, y: b.top, width: b.width, height: b.height, ...stroke, "data-shape": "box" }));
    for (const p of found.polygons) {
      const points = p.vertices.map((v) => `${v.x},${v.y}`).join(" ");
      svg.appendChild(element("polygon", { points, ...stroke, "data-shape": "polygon" }));
    }
    for (const p of found.points) svg.appendChild(element("circle", { cx: p.x, cy: p.y, r: Math.max(4, width / 150), fill: color, "data-shape": "point" }));
    const group = [svg];
    for (const data of found.masks) {
      const mask = document.createElement("img");
      mask.className = "mask";
      mask.alt = "";
      mask.src = `data:image/png;base64,${data}`;
      mask.dataset.layer = String(index);
      group.push(mask);
    }
    group.forEach((node) => viewer.appendChild(node));
    layers.push(group);
  });
  return layers;
}

function markText(container, answers) {
  const text = container.textContent;
  const layers = answers.map(() => []);
  const render = () => {
    const marks = [];
    answers.forEach((answer, index) => {
      if (!layers[index].visible) return;
      for (const s of shapes(answer.content).spans) marks.push({ ...s, index });
    });
    marks.sort((a, b) => a.startOffset - b.startOffset);
    container.textContent = "";
    let at = 0;
    for (const m of marks) {
      if (m.startOffset < at) continue; // overlapping spans of two workers: the first one shows
      container.append(text.slice(at, m.startOffset));
      const mark = document.createElement("mark");
      mark.style.background = `${COLORS[m.index % COLORS.length]}33`;
      mark.style.outline = `1px solid ${COLORS[m.index % COLORS.length]}`;
      mark.title = m.label || "";
      mark.dataset.layer = String(m.index);
      mark.textContent = text.slice(m.startOffset, m.endOffset);
      container.append(mark);
      at = m.endOffset;
    }
    container.append(text.slice(at));
  };
  layers.forEach((layer) => { layer.visible = true; });
  render();
  return { layers, render };
}

function start() {
  const answers = JSON.parse(document.getElementById("answer-data").textContent);
  document.querySelectorAll("[data-swatch]").forEach((swatch) => {
    swatch.style.background = COLORS[Number(swatch.dataset.swatch) % COLORS.length];
  });
  const image = document.getElementById("object-media");
  const text = document.getElementById("object-text");
  let toggle = () => {};
  if (image) {
    const ready = () => {
      const layers = drawImage(document.getElementById("viewer"), image, answers);
      toggle = (index, on) => layers[index].forEach((node) => { node.style.display = on ? "" : "none"; });
    };
    if (image.complete && image.naturalWidth) ready();
    else image.addEventListener("load", ready, { once: true });
  } else if (text) {
    const marked = markText(text, answers);
    toggle = (index, on) => { marked.layers[index].visible = on; marked.render(); };
  }
  document.querySelectorAll("[data-toggle]").forEach((box) => {
    box.addEventListener("change", () => toggle(Number(box.dataset.toggle), box.checked));
  });
}

start();
