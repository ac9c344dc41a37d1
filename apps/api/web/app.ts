import { ApiError, detectImage } from './api-client.js';
import { drawDetections } from './draw.js';
import { classColour, classCounts, visibleDetections, type DetectResult } from './detection-view.js';

/**
 * The page at `/`: choose, drop or paste an image → POST /v1/detect → boxes on a canvas and a list beside it.
 * The threshold slider and class toggles filter the last result in the browser, without another request.
 */
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const fileInput = $<HTMLInputElement>('file');
const dropZone = $<HTMLElement>('drop-zone');
const slider = $<HTMLInputElement>('score-threshold');
const sliderValue = $<HTMLOutputElement>('score-threshold-value');
const apiKeyInput = $<HTMLInputElement>('api-key');
const canvas = $<HTMLCanvasElement>('canvas');
const list = $<HTMLOListElement>('detections');
const toggles = $<HTMLElement>('class-toggles');
const summary = $<HTMLElement>('summary');
const errorBox = $<HTMLElement>('error');
const status = $<HTMLElement>('status');
const download = $<HTMLAnchorElement>('download');

interface Shown {
  result: DetectResult;
  image: HTMLImageElement;
  name: string;
}
const state: { shown?: Shown; hidden: Set<string>; seq: number } = { hidden: new Set(), seq: 0 };

const API_KEY_STORAGE = 'resdet.apiKey';
apiKeyInput.value = sessionStorage.getItem(API_KEY_STORAGE) ?? '';
apiKeyInput.addEventListener('change', () => sessionStorage.setItem(API_KEY_STORAGE, apiKeyInput.value));

fileInput.addEventListener('change', () => {
  const file = fileInput.files?.[0];
  if (file) void send(file, file.name);
});
dropZone.addEventListener('dragover', (e) => {
  e.preventDefault();
  dropZone.classList.add('over');
});
dropZone.addEventListener('dragleave', () => dropZone.classList.remove('over'));
dropZone.addEventListener('drop', (e) => {
  e.preventDefault();
  dropZone.classList.remove('over');
  const file = e.dataTransfer?.files[0];
  if (file) void send(file, file.name);
});
document.addEventListener('paste', (e) => {
  const item = [...(e.clipboardData?.items ?? [])].find((i) => i.type.startsWith('image/'));
  const file = item?.getAsFile();
  if (file) void send(file, 'pasted image');
});
slider.addEventListener('input', render);
window.addEventListener('resize', render);

async function send(file: Blob, name: string): Promise<void> {
  const seq = ++state.seq;
  errorBox.hidden = true;
  status.textContent = `detecting in ${name}…`;
  try {
    // the API's verdict on the bytes first: its message is the one to show for a corrupt or foreign file
    const result = await detectImage(file, apiKeyInput.value.trim());
    const image = await loadImage(file);
    if (seq !== state.seq) return; // a newer upload replaced this one
    state.shown = { result, image, name };
    state.hidden.clear();
    status.textContent = '';
    renderToggles();
    render();
  } catch (e) {
    if (seq !== state.seq) return;
    state.shown = undefined;
    status.textContent = '';
    renderToggles();
    showError(e instanceof ApiError ? e.message : `${name}: ${(e as Error).message}`);
    render();
  }
}

/** The image for drawing; the API has already judged the bytes, so a decode failure here is the browser's. */
function loadImage(file: Blob): Promise<HTMLImageElement> {
  return new Promise((resolve, reject) => {
    const img = new Image();
    const url = URL.createObjectURL(file);
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error('the browser cannot display this image'));
    img.src = url;
  });
}

function showError(message: string): void {
  errorBox.textContent = message;
  errorBox.hidden = false;
}

function renderToggles(): void {
  toggles.replaceChildren();
  if (!state.shown) return;
  for (const [label, count] of classCounts(state.shown.result)) {
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.checked = true;
    box.dataset.class = label;
    box.addEventListener('change', () => {
      if (box.checked) state.hidden.delete(label);
      else state.hidden.add(label);
      render();
    });
    const swatch = document.createElement('span');
    swatch.className = 'swatch';
    swatch.style.background = classColour(label);
    const tag = document.createElement('label');
    tag.append(box, swatch, ` ${label} (${count})`);
    toggles.append(tag);
  }
}

function render(): void {
  const threshold = Number(slider.value);
  sliderValue.textContent = threshold.toFixed(2);
  list.replaceChildren();
  const shown = state.shown;
  canvas.hidden = !shown;
  download.hidden = !shown;
  if (!shown) {
    summary.textContent = '';
    return;
  }
  const visible = visibleDetections(shown.result, threshold, state.hidden);
  // as wide as its column, but no taller than most of the window
  const { naturalWidth: w, naturalHeight: h } = shown.image;
  const width = Math.min(canvas.parentElement?.clientWidth ?? w, (0.75 * window.innerHeight * w) / h);
  drawDetections(canvas, shown.image, visible, width);
  for (const d of visible) {
    const li = document.createElement('li');
    li.dataset.testid = 'detection';
    li.style.borderLeftColor = classColour(d.label);
    const { x1, y1, x2, y2 } = d.box;
    li.textContent = `${d.label} ${d.score.toFixed(3)} — [${[x1, y1, x2, y2].map((v) => Math.round(v)).join(', ')}]`;
    list.append(li);
  }
  const r = shown.result;
  summary.textContent =
    `${shown.name}: ${r.width}×${r.height}, ${visible.length} of ${r.detections.length} detections shown — ` +
    `model ${r.model}, ${r.timingMs.toFixed(0)} ms on the server`;
  URL.revokeObjectURL(download.href);
  download.href = URL.createObjectURL(new Blob([JSON.stringify(r, null, 2)], { type: 'application/json' }));
  download.download = `${shown.name.replace(/\.[^.]*$/, '')}.detections.json`;
}

render();
