// The training stepper: one diagram whose value slots are refilled frame by frame, all in the browser.
// JupyterLab runs this module through anywidget; the HTML handout and the slides run this same file over the saved
// state (hnn/notebook/stepper.py writes that page snippet), so every venue draws frames with the code below.

const TICK = 700; // milliseconds between frames while playing: time to read one line of numbers
const HELP = "Click the stepper, then: \u2190 \u2192 a step, \u2191 \u2193 an epoch, Space play / pause;"
  + " Predict asks for each number before it shows it.";
const MAX_LINES = 10; // lines a step shows at once before its panel scrolls (a hidden layer's backward pass has 30)

// Read boxes get a thick dashed outline, the written box a thicker solid one, read edges a wider stroke and a halo:
// the two kinds differ by line style and width, not by colour alone. Inside reveal.js (the slides, and RISE in
// JupyterLab) and in the handout's Projector the projector's sizes apply: no text under 18 px at 1280 x 720, the
// arithmetic at 24 px.
const CSS = `
.hnn-stepper { --hnn-min-scale: 0.5; --hnn-max-scale: 1; font-family: var(--jp-ui-font-family, sans-serif);
  font-size: 15px; line-height: 1.35; color: var(--jp-content-font-color1, #111); padding: 6px;
  border: 1px solid var(--jp-border-color1, #bbb); border-radius: 4px; box-sizing: border-box; }
.hnn-stepper:focus-visible { outline: 3px solid #0072b2; outline-offset: 2px; }
.hnn-stepper .hnn-title { display: none; }
.hnn-stepper .hnn-controls { display: flex; flex-wrap: wrap; align-items: center; gap: 4px 10px; }
.hnn-stepper button { font: inherit; min-width: 5.5em; padding: 2px 10px; cursor: pointer; }
.hnn-stepper button[aria-pressed=true] { background: #0072b2; color: #fff; border-color: #0072b2; }
.hnn-stepper input[type=range] { width: 12em; vertical-align: middle; }
.hnn-stepper .hnn-skipped { font-style: italic; margin: 0; }
.hnn-stepper .hnn-skipped:empty { display: none; }
.hnn-stepper .hnn-help { margin: 2px 0; font-size: 14px; }
.hnn-stepper .hnn-body { display: flex; align-items: flex-start; gap: 6px 16px; margin-top: 4px; }
.hnn-stepper .hnn-body.hnn-stacked { flex-direction: column; }
.hnn-stepper .hnn-diagram { flex: none; }
.hnn-stepper .hnn-diagram svg { display: block; }
.hnn-stepper .hnn-panel { flex: 1 1 auto; min-width: 0; align-self: stretch; overflow-y: auto; }
.hnn-stepper .hnn-step { font-weight: bold; margin: 0; position: sticky; top: 0; /* named while its lines scroll */
  background: var(--jp-layout-color0, #fff); }
.hnn-stepper .hnn-lines { font-family: var(--jp-code-font-family, monospace); font-size: 15px; margin: 0; }
.hnn-stepper .hnn-line { white-space: pre-wrap; padding-left: 2ch; text-indent: -2ch; }
.hnn-stepper .hnn-line:last-child { font-weight: bold; }
.hnn-stepper .hnn-item { display: inline-block; text-indent: 0; } /* a row of its own if it fits one, else wrapped */
.hnn-stepper .hnn-line input { font: inherit; width: 10ch; text-indent: 0; }
.hnn-stepper .hnn-line button { min-width: 0; text-indent: 0; }
.hnn-stepper .hnn-feedback { margin: 4px 0 0; font-weight: bold; }
.hnn-stepper .hnn-feedback:empty { display: none; }
.hnn-stepper .hnn-feedback.hnn-right { color: #006b4f; }
.hnn-stepper .hnn-feedback.hnn-wrong { color: #a3340b; }
.hnn-stepper .hnn-head { display: contents; }
:is(.reveal, .hnn-projector) .hnn-stepper { --hnn-min-scale: 1.13; --hnn-max-scale: 1.4; font-size: 20px; border: none; padding: 0;
  text-align: left; }
:is(.reveal, .hnn-projector) .hnn-stepper .hnn-head { display: flex; flex-wrap: wrap; align-items: center; gap: 4px 24px; }
.reveal .hnn-stepper .hnn-title { display: block; margin: 0; font-size: 32px; font-weight: bold; }
:is(.reveal, .hnn-projector) .hnn-stepper :is(.hnn-help, .hnn-controls label) { display: none; }
:is(.reveal, .hnn-projector) .hnn-stepper .hnn-step { font-size: 20px; line-height: 1.1; }
:is(.reveal, .hnn-projector) .hnn-stepper .hnn-lines { font-size: 24px; line-height: 1.12; }
:is(.reveal, .hnn-projector) .hnn-stepper .hnn-body { margin-top: 2px; }
.reveal .hnn-stepper .hnn-panel { box-sizing: border-box; padding-bottom: 36px; } /* clear of the slide's number */
:is(.reveal, .hnn-projector) .hnn-stepper button, :is(.reveal, .hnn-projector) .hnn-stepper input { font-size: 20px; }
:is(.reveal, .hnn-projector) .hnn-stepper .hnn-controls button { min-width: 0; } /* the title and the controls in one row at 1280 px */
:is(.reveal, .hnn-projector) .hnn-stepper .hnn-controls [data-do=play] { min-width: 4.2em; } /* as wide for Pause: nothing shifts */
.hnn-stepper g.hnn-read > :is(polygon, path, ellipse) { stroke: #000; stroke-width: 4px; stroke-dasharray: 9 5; }
.hnn-stepper g.hnn-write > :is(polygon, path, ellipse) { stroke: #000; stroke-width: 7px; stroke-dasharray: none; }
.hnn-stepper g.edge.hnn-read > path { stroke-width: 5px; stroke-dasharray: none; filter: drop-shadow(0 0 2px #000); }
.hnn-stepper g.edge.hnn-read > polygon { stroke-dasharray: none; }
`;

const TEMPLATE = `
<style>${CSS}</style>
<div class="hnn-head">
<p class="hnn-title" role="heading" aria-level="2"></p>
<div class="hnn-controls">
  <button type="button" data-do="previous"><span aria-hidden="true">\u25c0 </span>Previous</button>
  <button type="button" data-do="play">Play</button>
  <button type="button" data-do="next">Next<span aria-hidden="true"> \u25b6</span></button>
  <button type="button" data-do="predict" aria-pressed="false">Predict</button>
  <label>Epoch <input type="range" min="0" step="1"></label>
  <span class="hnn-where"></span>
</div>
</div>
<p class="hnn-help">${HELP}</p>
<div class="hnn-body">
  <div class="hnn-diagram"></div>
  <div class="hnn-panel" aria-live="polite">
    <p class="hnn-skipped"></p><p class="hnn-step"></p><div class="hnn-lines"></div><p class="hnn-feedback" role="status"></p>
  </div>
</div>`;

// A number as a student types it: a true minus sign or a hyphen, a point; null for anything else.
function parse(text) {
  const cleaned = text.trim().replace(/\u2212/g, "-").replace(/^\+/, "");
  return /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(cleaned) ? Number(cleaned) : null;
}

// How many decimals a typed number has: the precision its author meant.
const decimals = (text) => (text.trim().split(".")[1] || "").replace(/e.*$/i, "").length;

const shown = (x) => (Math.round(x * 1e6) / 1e6 + 0).toFixed(6).replace("-", "\u2212"); // as hnn writes a number

// The verdict on a typed value: right to the precision shown (6 decimals; 0.70712 is 0.707120), else how far off,
// and which likely mistake it matches to the decimals typed (from the frame's data: each mistake's value as shown).
function judge(ask, typed) {
  const value = parse(typed);
  if (value === null) return { right: false, text: `Type a number, such as 0.5 or \u22121.25, for ${ask.name}.` };
  if (shown(value) === ask.answer) return { right: true, text: `Right: ${ask.name} = ${ask.answer}.` };
  const answer = parse(ask.answer.replace("\u2212", "-"));
  const places = Math.min(decimals(typed), 6);
  const tolerance = 0.5 * 10 ** -places + 1e-12; // the typed number stands for this much either side
  const off = shown(Math.abs(value - answer)).replace(/0+$/, "").replace(/\.$/, "");
  const likely = ask.mistakes.find(([mistake]) => Math.abs(value - parse(mistake)) <= tolerance
    && Math.abs(value - parse(mistake)) < Math.abs(value - answer));
  const rounded = Math.abs(value - answer) <= tolerance ? ` That is it rounded to ${places} decimal${places === 1 ? "" : "s"}; keep 6.` : "";
  return { right: false, text: `Off by ${off}.${likely ? ` ${likely[1]}` : rounded} ${ask.name} = ${ask.answer}.` };
}

function render({ model, el }) {
  const root = document.createElement("div");
  root.className = "hnn-stepper";
  root.setAttribute("role", "region");
  root.tabIndex = 0;
  root.dataset.lmSuppressShortcuts = "true"; // JupyterLab leaves the keys pressed in here to the stepper
  root.innerHTML = TEMPLATE;
  el.replaceChildren(root);
  const part = (selector) => root.querySelector(selector);
  const [previous, play, next, predict] = ["previous", "play", "next", "predict"].map((name) => part(`[data-do=${name}]`));
  const slider = part("input[type=range]");
  const [diagram, body, panel, lines, feedback] = [".hnn-diagram", ".hnn-body", ".hnn-panel", ".hnn-lines",
    ".hnn-feedback"].map(part);

  let frames = [], slots = new Map(), shapes = new Map(), epochs = [], firstFrame = [], natural = null, most = 1;
  let panelRoom = null; // the height the lines panel may take, before it is cut to whole lines
  let drawn = null, marked = [], timer = null, asking = null;

  // Everything that depends on the data alone, found once, so that drawing a frame only sets text and classes.
  function load() {
    root.setAttribute("aria-label", model.get("label"));
    part(".hnn-title").textContent = model.get("label");
    frames = model.get("frames");
    diagram.innerHTML = model.get("svg");
    const svg = diagram.querySelector("svg");
    natural = null;
    if (svg) { // Graphviz sizes its SVG in points; drawn at 1 px a point, then scaled to fit (layout below)
      natural = { width: parseFloat(svg.getAttribute("width")), height: parseFloat(svg.getAttribute("height")) };
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
    most = Math.min(Math.max(...frames.map((frame) => frame.lines.length)), MAX_LINES);
    slider.max = String(Math.max(epochs.length - 1, 0));
    asking = null;
    drawn = null;
    layout();
    draw();
  }

  const total = () => frames[frames.length - 1].epochs ?? Math.max(0, ...epochs); // the run's, shown or not
  const epochName = (epoch) => (epoch === 0 ? `trained, after ${total()} epochs` : `epoch ${epoch} of ${total()}`);

  // The epochs a long run leaves out just before the one shown: "epochs 2–3 not shown: see max_diagrams".
  function skipped(epoch) {
    const trained = epoch === 0;
    const position = epochs.indexOf(epoch);
    const before = epochs.slice(0, position).filter(Boolean);
    const last = before.length ? before[before.length - 1] : 0;
    const [from, to] = [last + 1, trained ? total() : epoch - 1];
    if (to < from) return "";
    return `${from === to ? `epoch ${from}` : `epochs ${from}\u2013${to}`} not shown: see max_diagrams`;
  }

  // The diagram as large as the room allows, between the venue's smallest and largest scale, beside the lines or
  // above them, whichever leaves it larger; the lines take the rest of the height and scroll.
  function layout() {
    const svg = diagram.querySelector("svg");
    const style = getComputedStyle(root);
    const width = root.clientWidth - 2 * parseFloat(style.paddingLeft || 0);
    if (!svg || !natural || !width) return;
    const [low, high] = ["--hnn-min-scale", "--hnn-max-scale"].map((name) => parseFloat(style.getPropertyValue(name)));
    const room = fitHeight() - body.offsetTop + root.offsetTop - 8;
    const lineHeight = parseFloat(getComputedStyle(lines).lineHeight) || 20;
    const wanted = (most + 1.5) * lineHeight; // the step's name, its lines, the verdict
    const beside = Math.max(width * 0.38, 24 * lineHeight); // about 40 characters of arithmetic
    const stacked = Math.min(width / natural.width, (room - wanted) / natural.height);
    const side = Math.min((width - beside - 16) / natural.width, room / natural.height);
    let isStacked = stacked >= side || side < low;
    let scale = Math.max(Math.min(isStacked ? stacked : side, high), Math.min(low, width / natural.width));
    // A tall diagram, such as a layer's, would push the lines out of view or be drawn smaller than it can be beside
    // them: it takes the height, the lines the width beside it (at least 30%), wrapped.
    const narrow = Math.min(room / natural.height, (width * 0.7 - 16) / natural.width, high);
    if (isStacked && (natural.height * scale + 4 * lineHeight > room || narrow > scale)) {
      isStacked = false;
      scale = narrow;
    }
    body.classList.toggle("hnn-stacked", isStacked);
    scale = Math.floor(natural.width * scale) / natural.width; // whole pixels wide: the lines beside it are too
    svg.style.width = `${natural.width * scale}px`;
    svg.style.height = `${natural.height * scale}px`;
    const left = Math.max(isStacked ? room - natural.height * scale - 6 : room, 3 * lineHeight);
    panelRoom = isStacked ? Math.min(left, wanted) : natural.height * scale; // steady as lines come
    // Beside the diagram, the newest line would end under RISE's slide number and arrows.
    if (!isStacked) panelRoom = Math.min(panelRoom, Math.max(clearance(), 3 * lineHeight));
    wholeLines();
    panel.scrollTop = panel.scrollHeight;
  }

  // The lines panel as tall as the room allows for whole lines under the step's name, which stays put as they scroll:
  // scrolled to the newest line, the first in view is then not cut by the name. Again for each frame, whose name may
  // take more rows.
  function wholeLines() {
    const box = getComputedStyle(panel);
    const padding = box.boxSizing === "border-box" ? parseFloat(box.paddingTop) + parseFloat(box.paddingBottom) : 0;
    const step = part(".hnn-step"); // before the first frame names a step, a row of it
    const name = step.offsetHeight || parseFloat(getComputedStyle(step).lineHeight) || 0;
    const lineHeight = parseFloat(getComputedStyle(lines).lineHeight) || 20;
    const whole = Math.max(Math.floor((panelRoom - padding - name) / lineHeight), 2);
    panel.style.height = `${padding + name + whole * lineHeight}px`;
  }

  // The height the lines have above RISE's slide number and arrows, which sit over the slide's bottom right.
  function clearance() {
    const reveal = root.closest(".reveal");
    const section = root.closest("section");
    if (!reveal || !section || getComputedStyle(section).overflowY === "visible") return Infinity; // not RISE
    const box = panel.getBoundingClientRect();
    const scale = box.height / panel.offsetHeight || 1;
    let bottom = Infinity;
    for (const overlay of reveal.querySelectorAll(":scope > .slide-number, :scope > .controls .enabled")) {
      const over = overlay.getBoundingClientRect();
      if (over.height && over.left < box.right && over.right > box.left) bottom = Math.min(bottom, over.top);
    }
    return (bottom - box.top) / scale;
  }

  // The height the stepper may take: a slide's, the notebook's visible area, or the window's.
  function fitHeight() {
    const slides = root.closest(".reveal .slides");
    const section = root.closest("section");
    if (slides && section) {
      const scale = slides.getBoundingClientRect().height / slides.offsetHeight || 1;
      const top = section.getBoundingClientRect().top;
      // nbconvert's slide is as tall as the slides; RISE's scrolls inside its section, a band of the window: measured
      // as if scrolled to the top, so that the layout stays put while the presenter scrolls.
      const scrolls = getComputedStyle(section).overflowY !== "visible";
      const bottom = top + (scrolls ? section.clientHeight : slides.offsetHeight) * scale;
      return (bottom - root.getBoundingClientRect().top) / scale - section.scrollTop;
    }
    const scroller = root.closest(".jp-WindowedPanel-outer, .jp-Notebook:not(body)"); // a handout's body is one too
    if (scroller) return scroller.clientHeight - 24;
    const zoom = Math.round(100 * root.getBoundingClientRect().width / root.offsetWidth) / 100 || 1; // the handout's
    return (window.innerHeight - 16) / zoom; // Projector draws its page larger: the window holds fewer of its pixels
  }

  // A list of values (the initial ones, the trained network's) wraps between its items, and inside one only where it is
  // longer than a row: "b1 =" at the end of a row and "0.35" at the start of the next read as two things.
  function line(text) {
    const div = document.createElement("div");
    div.className = "hnn-line";
    const items = text.split(/(?<=[,;]) /);
    if (items.length === 1) div.textContent = text; // arithmetic: it may wrap anywhere a space is
    else div.append(...items.flatMap((item, i) => [...(i ? [" "] : []), Object.assign(document.createElement("span"),
      { className: "hnn-item", textContent: item })]));
    return div;
  }

  // Predict: the frame's last line without its result, and a field for the student's value.
  function question(frame) {
    const ask = frame.ask;
    const text = frame.lines[frame.lines.length - 1];
    const div = line(text.slice(0, text.length - ask.answer.length));
    div.insertAdjacentHTML("beforeend", '<input type="text" inputmode="decimal" autocomplete="off"> '
      + '<button type="button" data-do="check">Check</button> <button type="button" data-do="show">Show</button>');
    const input = div.querySelector("input");
    input.setAttribute("aria-label", `Your value of ${ask.name}`);
    const answer = (reveal) => {
      const verdict = reveal ? { right: false, text: `${ask.name} = ${ask.answer}.` } : judge(ask, input.value);
      if (verdict.text.startsWith("Type a number")) {
        feedback.textContent = verdict.text;
        feedback.className = "hnn-feedback hnn-wrong";
        return;
      }
      asking = null;
      draw();
      feedback.textContent = verdict.text;
      feedback.className = `hnn-feedback ${verdict.right ? "hnn-right" : reveal ? "" : "hnn-wrong"}`;
      panel.scrollTop = panel.scrollHeight;
      root.focus();
    };
    div.querySelector("[data-do=check]").addEventListener("click", () => answer(false));
    div.querySelector("[data-do=show]").addEventListener("click", () => answer(true));
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter") answer(false);
      else if (event.key === "Escape") answer(true);
      else return;
      event.preventDefault();
    });
    return div;
  }

  function draw() {
    const index = model.get("index");
    const key = `${index} ${asking}`;
    if (key === drawn || !frames.length) return;
    const frame = frames[index];
    const isAsking = asking === index;
    const filled = isAsking && index > 0 ? frames[index - 1].slots : frame.slots; // the value asked for stays blank
    for (const [name, texts] of slots) {
      const value = filled[name] ?? ""; // a slot this frame has not computed yet is blank
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
    const rows = frame.lines.map(line);
    if (isAsking) rows[rows.length - 1] = question(frame);
    lines.replaceChildren(...rows);
    feedback.textContent = "";
    feedback.className = "hnn-feedback";
    const position = epochs.indexOf(frame.epoch);
    slider.value = String(position);
    slider.setAttribute("aria-valuetext", epochName(frame.epoch));
    const step = index - firstFrame[position] + 1;
    const steps = (firstFrame[position + 1] ?? frames.length) - firstFrame[position];
    part(".hnn-where").textContent = frame.epoch === 0 ? epochName(0) : `${epochName(frame.epoch)} \u00b7 step ${step} of ${steps}`;
    part(".hnn-skipped").textContent = skipped(frame.epoch);
    previous.disabled = index === 0;
    next.disabled = index === frames.length - 1 && !isAsking;
    if (panelRoom !== null) wholeLines();
    panel.scrollTop = panel.scrollHeight; // the newest line in view
    if (isAsking) lines.querySelector("input").focus({ preventScroll: true });
    drawn = key;
  }

  function go(index, ask = false) {
    const clamped = Math.min(Math.max(index, 0), frames.length - 1);
    asking = ask && predict.getAttribute("aria-pressed") === "true" && frames[clamped].ask ? clamped : null;
    if (clamped !== model.get("index")) {
      model.set("index", clamped);
      model.save_changes();
    }
    draw(); // at once, without waiting for the change event to come round
  }

  // Forward one step: in Predict mode, a step that computes a number asks for it first.
  const forward = () => (asking !== null ? null : go(model.get("index") + 1, true));

  function epoch(direction) { // the first step of the next (or this, or the previous) epoch shown
    const index = model.get("index");
    const position = firstFrame.findLastIndex((first) => first <= index);
    const target = direction > 0 ? firstFrame[position + 1] : firstFrame[index > firstFrame[position] ? position : position - 1];
    if (target !== undefined) go(target);
    return target !== undefined;
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
  next.addEventListener("click", () => (asking !== null ? go(model.get("index")) : forward()));
  play.addEventListener("click", toggle);
  predict.addEventListener("click", () => {
    const on = predict.getAttribute("aria-pressed") !== "true";
    predict.setAttribute("aria-pressed", String(on));
    if (!on && asking !== null) go(model.get("index"));
  });
  slider.addEventListener("input", () => go(firstFrame[Number(slider.value)]));
  root.addEventListener("keydown", (event) => {
    if (event.target.tagName === "INPUT" && event.target.type === "text") return; // typing a prediction
    if (event.target === slider && event.key.startsWith("Arrow")) { // there the arrows move the slider by epochs
      event.stopPropagation();
      return;
    }
    if (event.key === "ArrowRight") forward();
    else if (event.key === "ArrowLeft") go(model.get("index") - 1);
    else if (event.key === "ArrowDown") epoch(1);
    else if (event.key === "ArrowUp") epoch(-1);
    else if (event.key === " ") toggle(); // Space plays, also when a button has the focus: as the help says
    else return;
    event.preventDefault(); // no page scroll, and no button pressed by Space
    event.stopPropagation(); // and no notebook shortcut
  });
  root.addEventListener("keyup", (event) => { // a focused button would press itself when Space comes up
    if (event.key === " " && event.target.tagName === "BUTTON") event.preventDefault();
  });

  // In reveal.js slides (nbconvert's, or RISE in JupyterLab) a presenter's keys walk the stepper while its slide is
  // shown: reveal's next (→, PageDown from a clicker, Space) a step, ↓ an epoch, ← PageUp Shift+Space ↑ back; at
  // either end they go on to the slides. Space is the stepper's own (play / pause) once the presenter clicks it.
  function slideKeys(event) {
    const section = root.closest(".reveal section");
    if (!section || !section.classList.contains("present") || !root.isConnected) return;
    if (event.target.tagName === "INPUT" && event.target.type === "text") return;
    if (event.key === " " && root.contains(document.activeElement)) return;
    const index = model.get("index");
    const ahead = ["ArrowRight", "PageDown"].includes(event.key) || (event.key === " " && !event.shiftKey);
    const back = ["ArrowLeft", "PageUp"].includes(event.key) || (event.key === " " && event.shiftKey);
    let moved = false;
    if (ahead) moved = index < frames.length - 1 || asking !== null;
    else if (back) moved = index > 0;
    else if (event.key === "ArrowDown") moved = epoch(1);
    else if (event.key === "ArrowUp") moved = index > 0 && epoch(-1);
    if (!moved) return;
    if (ahead) (asking !== null ? go(index) : forward());
    if (back) go(index - 1);
    event.preventDefault();
    event.stopImmediatePropagation(); // before reveal.js, which listens on the document
  }
  window.addEventListener("keydown", slideKeys, true);
  const resized = new ResizeObserver(() => layout()); // a slide shown, a sidebar opened, a window resized
  resized.observe(root);
  // reveal.js tells of a slide shown on its element, and the event bubbles up: RISE draws the notebook first and makes
  // it slides after, so the stepper's slide may come into view at the size it had in the notebook, unobserved.
  const relayout = () => layout();
  for (const name of ["ready", "slidechanged"]) document.addEventListener(name, relayout);
  window.addEventListener("resize", relayout); // the handout's Projector: the same box, drawn larger

  model.on("change:index", draw);
  for (const name of ["svg", "frames", "label"]) model.on(`change:${name}`, load);
  load();
  return () => { // when the view is removed
    stop();
    resized.disconnect();
    for (const name of ["ready", "slidechanged"]) document.removeEventListener(name, relayout);
    window.removeEventListener("resize", relayout);
    window.removeEventListener("keydown", slideKeys, true);
  };
}

export default { render };
