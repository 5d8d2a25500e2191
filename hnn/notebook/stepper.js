// The training stepper: one diagram whose value slots are refilled frame by frame, all in the browser.
// JupyterLab runs this module through anywidget; the HTML handout runs this same file over the saved state
// (hnn/stepper.py writes that page snippet), so every venue draws frames with the code below.

const TICK = 700; // milliseconds between frames while playing: time to read one line of numbers
const PX_PER_PT = 1; // Graphviz sizes its SVG in points; drawn at 1 px a point, 16 pt text is 16 px high
const HELP = "Click the stepper, then: \u2190 previous, \u2192 next, Space play / pause; the slider jumps to an epoch.";

// Read boxes get a thick dashed outline, the written box a thicker solid one, read edges a wider stroke and a halo:
// the two kinds differ by line style and width, not by colour alone.
const CSS = `
.hnn-stepper { font-family: var(--jp-ui-font-family, sans-serif); font-size: 15px; line-height: 1.35;
  color: var(--jp-content-font-color1, #111); padding: 6px; border: 1px solid var(--jp-border-color1, #bbb);
  border-radius: 4px; }
.hnn-stepper:focus-visible { outline: 3px solid #0072b2; outline-offset: 2px; }
.hnn-stepper .hnn-controls { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 10px; }
.hnn-stepper button { font: inherit; min-width: 5.5em; padding: 3px 10px; cursor: pointer; }
.hnn-stepper input[type=range] { width: 14em; vertical-align: middle; }
.hnn-stepper .hnn-help { margin: 4px 0; font-size: 14px; }
.hnn-stepper .hnn-body { display: flex; flex-wrap: wrap; align-items: flex-start; gap: 8px 16px; }
.hnn-stepper .hnn-diagram { flex: 0 1 auto; min-width: 0; max-width: 100%; }
.hnn-stepper .hnn-diagram svg { display: block; max-width: 100%; height: auto; }
.hnn-stepper .hnn-panel { flex: 1 1 30em; min-width: min(30em, 100%); }
.hnn-stepper .hnn-step { font-weight: bold; margin: 0 0 4px; }
.hnn-stepper .hnn-lines { font-family: var(--jp-code-font-family, monospace); font-size: 15px; margin: 0;
  white-space: pre-wrap; }
.hnn-stepper g.hnn-read > :is(polygon, path, ellipse) { stroke: #000; stroke-width: 4px; stroke-dasharray: 9 5; }
.hnn-stepper g.hnn-write > :is(polygon, path, ellipse) { stroke: #000; stroke-width: 7px; stroke-dasharray: none; }
.hnn-stepper g.edge.hnn-read > path { stroke-width: 5px; stroke-dasharray: none; filter: drop-shadow(0 0 2px #000); }
.hnn-stepper g.edge.hnn-read > polygon { stroke-dasharray: none; }
`;

const TEMPLATE = `
<style>${CSS}</style>
<div class="hnn-controls">
  <button type="button" data-do="previous"><span aria-hidden="true">\u25c0 </span>Previous</button>
  <button type="button" data-do="play">Play</button>
  <button type="button" data-do="next">Next<span aria-hidden="true"> \u25b6</span></button>
  <label>Epoch <input type="range" min="0" step="1"></label>
  <span class="hnn-where"></span>
</div>
<p class="hnn-help">${HELP}</p>
<div class="hnn-body">
  <div class="hnn-diagram"></div>
  <div class="hnn-panel" aria-live="polite"><p class="hnn-step"></p><pre class="hnn-lines"></pre></div>
</div>`;

function render({ model, el }) {
  const root = document.createElement("div");
  root.className = "hnn-stepper";
  root.setAttribute("role", "region");
  root.tabIndex = 0;
  root.dataset.lmSuppressShortcuts = "true"; // JupyterLab leaves the keys pressed in here to the stepper
  root.innerHTML = TEMPLATE;
  el.replaceChildren(root);
  const part = (selector) => root.querySelector(selector);
  const [previous, play, next] = ["previous", "play", "next"].map((name) => part(`[data-do=${name}]`));
  const slider = part("input[type=range]");
  const diagram = part(".hnn-diagram");

  let frames = [], slots = new Map(), shapes = new Map(), epochs = [], firstFrame = [];
  let drawn = -1, marked = [], timer = null;

  // Everything that depends on the data alone, found once, so that drawing a frame only sets text and classes.
  function load() {
    root.setAttribute("aria-label", model.get("label"));
    frames = model.get("frames");
    diagram.innerHTML = model.get("svg");
    const svg = diagram.querySelector("svg");
    if (svg) { // the SVG's own size in points, at PX_PER_PT, shrunk only when the output area is narrower
      const width = parseFloat(svg.getAttribute("width"));
      if (width) svg.style.width = `${width * PX_PER_PT}px`;
      svg.removeAttribute("width");
      svg.removeAttribute("height");
    }
    slots = new Map();
    for (const text of diagram.querySelectorAll("text[data-slot]")) {
      const name = text.dataset.slot;
      slots.set(name, [...(slots.get(name) || []), text]);
    }
    shapes = new Map();
    for (const g of diagram.querySelectorAll("g[data-node], g[data-edge]")) {
      shapes.set(g.dataset.node ?? g.dataset.edge, g);
    }
    epochs = [];
    firstFrame = [];
    frames.forEach((frame, i) => {
      if (!epochs.includes(frame.epoch)) {
        epochs.push(frame.epoch);
        firstFrame.push(i);
      }
    });
    slider.max = String(Math.max(epochs.length - 1, 0));
    drawn = -1;
    draw();
  }

  const epochName = (epoch) => (epoch === 0 ? "trained network" : `epoch ${epoch} of ${epochs.filter(Boolean).length}`);

  function draw() {
    const index = model.get("index");
    if (index === drawn || !frames.length) return;
    const frame = frames[index];
    for (const [name, texts] of slots) {
      const value = frame.slots[name] ?? ""; // a slot this frame has not computed yet is blank
      for (const text of texts) if (text.textContent !== value) text.textContent = value;
    }
    for (const g of marked) g.classList.remove("hnn-read", "hnn-write");
    marked = [];
    for (const [names, style] of [[frame.read, "hnn-read"], [frame.write, "hnn-write"]]) {
      for (const name of names) {
        const g = shapes.get(name);
        if (g) {
          g.classList.add(style);
          marked.push(g);
        }
      }
    }
    part(".hnn-step").textContent = frame.step;
    part(".hnn-lines").textContent = frame.lines.join("\n");
    const position = epochs.indexOf(frame.epoch);
    slider.value = String(position);
    slider.setAttribute("aria-valuetext", epochName(frame.epoch));
    part(".hnn-where").textContent = `${epochName(frame.epoch)} \u00b7 frame ${index + 1} of ${frames.length}`;
    previous.disabled = index === 0;
    next.disabled = index === frames.length - 1;
    drawn = index;
  }

  function go(index) {
    const clamped = Math.min(Math.max(index, 0), frames.length - 1);
    if (clamped === model.get("index")) return;
    model.set("index", clamped);
    model.save_changes();
    draw(); // at once, without waiting for the change event to come round
  }

  function stop() {
    clearInterval(timer);
    timer = null;
    play.textContent = "Play";
  }

  function toggle() {
    if (timer !== null) return stop();
    if (model.get("index") === frames.length - 1) go(0); // Play at the end plays again from the start
    play.textContent = "Pause";
    timer = setInterval(() => {
      if (model.get("index") >= frames.length - 1) stop();
      else go(model.get("index") + 1);
    }, TICK);
  }

  previous.addEventListener("click", () => go(model.get("index") - 1));
  next.addEventListener("click", () => go(model.get("index") + 1));
  play.addEventListener("click", toggle);
  slider.addEventListener("input", () => go(firstFrame[Number(slider.value)]));
  root.addEventListener("keydown", (event) => {
    const onSlider = event.target === slider; // there the arrows move the slider by whole epochs
    if (event.key === "ArrowLeft" || event.key === "ArrowRight") {
      if (!onSlider) go(model.get("index") + (event.key === "ArrowRight" ? 1 : -1));
    } else if (event.key === " ") {
      if (event.target.tagName === "BUTTON" || onSlider) return; // a focused button presses itself on Space
      toggle();
    } else {
      return;
    }
    if (!onSlider) event.preventDefault(); // no page scroll
    event.stopPropagation(); // and no notebook shortcut
  });

  // In reveal.js slides the presenter's keys (a clicker sends PageDown/PageUp, or the arrows) walk the stepper's
  // frames while it is on the slide shown and has frames left that way; at either end they go on to the slides.
  const FORWARD = new Set(["ArrowRight", "PageDown", " ", "ArrowDown"]);
  const BACK = new Set(["ArrowLeft", "PageUp", "ArrowUp"]);
  function slideKeys(event) {
    const reveal = window.Reveal;
    if (!reveal || !reveal.getCurrentSlide || !reveal.getCurrentSlide().contains(root)) return;
    const step = FORWARD.has(event.key) ? 1 : BACK.has(event.key) ? -1 : 0;
    const index = model.get("index") + step;
    if (step === 0 || index < 0 || index > frames.length - 1) return;
    go(index);
    event.preventDefault();
    event.stopImmediatePropagation(); // before reveal.js, which listens on the document
  }
  window.addEventListener("keydown", slideKeys, true);

  model.on("change:index", draw);
  for (const name of ["svg", "frames", "label"]) model.on(`change:${name}`, load);
  load();
  return () => { stop(); window.removeEventListener("keydown", slideKeys, true); }; // when the view is removed
}

export default { render };
