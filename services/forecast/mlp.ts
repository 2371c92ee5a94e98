/**
 * A small multilayer perceptron for the 24 prices of a day, a second model class beside LEAR: its
 * errors are less correlated with LEAR's than another LEAR's are, so averaging the two gains more
 * than averaging more LEARs (cf. the DNN of Lago et al. 2021). Same 247 inputs as LEAR
 * (features.ts), inputs and targets through the same window-fitted robust asinh transform; one
 * hidden ReLU layer, a linear output of 24; trained with Adam on the mean absolute error.
 *
 * Walk-forward it is recalibrated every day but warm-started: the first day trains from a seeded
 * random start for `epochsInitial` epochs, each later day continues from the previous day's weights
 * for `epochsDaily` epochs on that day's window. So the forecast of day D depends on the data before
 * D and on the day the run started, nothing else (deterministic: seeded initialisation and shuffles).
 * Pure: no I/O, no clock.
 */
import { type DailySeries, EXOGENOUS_LAGS_PAPER, HOURS, trainTestSplit, WEEKDAYS } from "./features.ts";
import { type ColumnScaler, fitScaler, inverseTransform, transform, type TransformKind } from "./transforms.ts";

export interface MlpOptions {
  /** Calibration window in days (as LEAR's). */
  window: number;
  hidden: number;
  /** Units of a second hidden layer (the epftoolbox DNN has two); absent or 0: one hidden layer. */
  hidden2?: number;
  /** Variance-stabilising transform of inputs and targets (transforms.ts). Default "invariant" (asinh). */
  transform?: TransformKind;
  epochsInitial: number;
  epochsDaily: number;
  batchSize: number;
  learningRate: number;
  /** Decoupled weight decay (AdamW), per step, times the learning rate. */
  weightDecay: number;
  seed: number;
}

export const MLP_DEFAULTS: MlpOptions = {
  window: 1092,
  hidden: 64,
  epochsInitial: 60,
  epochsDaily: 2,
  batchSize: 32,
  learningRate: 1e-3,
  weightDecay: 1e-4,
  seed: 1,
};

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A network 'nIn → hidden (ReLU) [→ hidden2 (ReLU)] → nOut' with its Adam moments. */
export interface Mlp {
  nIn: number;
  hidden: number;
  /** Units of a second hidden layer; absent or 0: one hidden layer. */
  hidden2?: number;
  nOut: number;
  /** Per layer its weights (units × inputs, row-major) then its biases — all parameters in one array. */
  params: Float64Array;
  m: Float64Array;
  v: Float64Array;
  step: number;
}

/** Units per layer, inputs first. */
function sizes(net: Pick<Mlp, "nIn" | "hidden" | "hidden2" | "nOut">): number[] {
  return net.hidden2 ? [net.nIn, net.hidden, net.hidden2, net.nOut] : [net.nIn, net.hidden, net.nOut];
}

/** Where each layer's weights and biases start in `params`, and the total size. */
function offsets(net: Pick<Mlp, "nIn" | "hidden" | "hidden2" | "nOut">) {
  const s = sizes(net);
  const layers: { w: number; b: number; nIn: number; nOut: number }[] = [];
  let at = 0;
  for (let l = 0; l + 1 < s.length; l++) {
    layers.push({ w: at, b: at + s[l + 1] * s[l], nIn: s[l], nOut: s[l + 1] });
    at += s[l + 1] * (s[l] + 1);
  }
  return { layers, size: at };
}

/** He-initialised weights (uniform with the He variance; the output layer's halved), zero biases. */
export function createMlp(
  nIn: number,
  hidden: number,
  nOut: number,
  random: () => number,
  hidden2 = 0,
): Mlp {
  const o = offsets({ nIn, hidden, hidden2, nOut });
  const params = new Float64Array(o.size);
  o.layers.forEach((layer, l) => {
    const a = Math.sqrt(6 / layer.nIn);
    const last = l === o.layers.length - 1;
    for (let i = layer.w; i < layer.b; i++) {
      params[i] = last ? (2 * random() - 1) * a / Math.SQRT2 : (2 * random() - 1) * a;
    }
  });
  const net: Mlp = { nIn, hidden, nOut, params, m: new Float64Array(o.size), v: new Float64Array(o.size), step: 0 };
  if (hidden2) net.hidden2 = hidden2;
  return net;
}

/** One dense layer: out = W·x + b, through ReLU unless it is the output layer. */
function dense(
  p: Float64Array,
  layer: { w: number; b: number; nIn: number; nOut: number },
  x: ArrayLike<number>,
  out: Float64Array,
  relu: boolean,
) {
  const { w, b, nIn, nOut } = layer;
  for (let j = 0; j < nOut; j++) {
    let z = p[b + j];
    const row = w + j * nIn;
    for (let i = 0; i < nIn; i++) z += p[row + i] * x[i];
    out[j] = relu ? (z > 0 ? z : 0) : z;
  }
}

/**
 * Output of the network for one input row. `act` (length hidden) receives the first hidden layer's
 * activations, `act2` the second's.
 */
export function mlpForward(
  net: Mlp,
  x: ArrayLike<number>,
  out: Float64Array,
  act = new Float64Array(net.hidden),
  act2 = new Float64Array(net.hidden2 ?? 0),
) {
  const { layers } = offsets(net);
  const p = net.params;
  dense(p, layers[0], x, act, true);
  if (layers.length === 3) {
    dense(p, layers[1], act, act2, true);
    dense(p, layers[2], act2, out, false);
  } else {
    dense(p, layers[1], act, out, false);
  }
  return out;
}

/**
 * Gradient of the mean absolute error over the rows `batch` of (x, y), added into `grad`; returns the
 * loss. The subgradient of |0| is taken as 0.
 */
export function mlpGradient(
  net: Mlp,
  x: Float64Array,
  y: Float64Array,
  batch: ArrayLike<number>,
  grad: Float64Array,
): number {
  const { nIn, nOut, params: p } = net;
  const { layers } = offsets(net);
  const acts = layers.slice(0, -1).map((l) => new Float64Array(l.nOut));
  const deltas = layers.map((l) => new Float64Array(l.nOut));
  const out = deltas[layers.length - 1];
  const scale = 1 / (batch.length * nOut);
  let loss = 0;
  for (let b = 0; b < batch.length; b++) {
    const r = batch[b];
    const xr = x.subarray(r * nIn, (r + 1) * nIn);
    mlpForward(net, xr, out, acts[0], acts[1]);
    for (let k = 0; k < nOut; k++) {
      const e = out[k] - y[r * nOut + k];
      loss += Math.abs(e) * scale;
      out[k] = e > 0 ? scale : e < 0 ? -scale : 0;
    }
    // Back through the layers: a unit with a zero delta (inactive ReLU, or |0|) adds nothing.
    for (let l = layers.length - 1; l >= 0; l--) {
      const { w, b: bias, nIn: width, nOut: units } = layers[l];
      const input = l === 0 ? xr : acts[l - 1];
      const delta = deltas[l];
      const below = l > 0 ? deltas[l - 1] : undefined;
      below?.fill(0);
      for (let k = 0; k < units; k++) {
        const g = delta[k];
        if (g === 0) continue;
        grad[bias + k] += g;
        const row = w + k * width;
        if (below) {
          for (let j = 0; j < width; j++) {
            grad[row + j] += g * input[j];
            below[j] += g * p[row + j];
          }
        } else {
          for (let j = 0; j < width; j++) grad[row + j] += g * input[j];
        }
      }
      if (below) { for (let j = 0; j < width; j++) if (input[j] <= 0) below[j] = 0; }
    }
  }
  return loss;
}

/** One AdamW step (β₁ 0.9, β₂ 0.999, ε 1e-8) with the given gradient. */
export function adamStep(net: Mlp, grad: Float64Array, lr: number, weightDecay: number): void {
  const b1 = 0.9, b2 = 0.999, eps = 1e-8;
  net.step++;
  const c1 = 1 - b1 ** net.step, c2 = 1 - b2 ** net.step;
  const { params: p, m, v } = net;
  const decay = 1 - lr * weightDecay;
  for (let i = 0; i < p.length; i++) {
    const g = grad[i];
    m[i] = b1 * m[i] + (1 - b1) * g;
    v[i] = b2 * v[i] + (1 - b2) * g * g;
    p[i] = p[i] * decay - lr * (m[i] / c1) / (Math.sqrt(v[i] / c2) + eps);
  }
}

/** `epochs` passes over the rows in a seeded random order, in mini-batches. Returns the last epoch's mean loss. */
export function trainEpochs(
  net: Mlp,
  x: Float64Array,
  y: Float64Array,
  rows: number,
  epochs: number,
  options: Pick<MlpOptions, "batchSize" | "learningRate" | "weightDecay">,
  random: () => number,
): number {
  const order = Int32Array.from({ length: rows }, (_, i) => i);
  const grad = new Float64Array(net.params.length);
  let last = NaN;
  for (let e = 0; e < epochs; e++) {
    for (let i = rows - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      const t = order[i];
      order[i] = order[j];
      order[j] = t;
    }
    let loss = 0, batches = 0;
    for (let s = 0; s < rows; s += options.batchSize) {
      grad.fill(0);
      loss += mlpGradient(net, x, y, order.subarray(s, Math.min(rows, s + options.batchSize)), grad);
      adamStep(net, grad, options.learningRate, options.weightDecay);
      batches++;
    }
    last = loss / batches;
  }
  return last;
}

/** The window's inputs (all but the weekday dummies scaled) and targets, transformed with the window's own scalers. */
function scaledWindow(series: DailySeries, d: number, window: number, kind: TransformKind) {
  const split = trainTestSplit(series, d, window, EXOGENOUS_LAGS_PAPER);
  const { rows, layout } = split;
  const width = layout.width, core = width - WEEKDAYS;
  const yScaler = fitScaler(split.yTrain, rows, HOURS, kind);
  const y = transform(yScaler, split.yTrain, rows);
  const xCore = new Float64Array(rows * core);
  for (let i = 0; i < rows; i++) xCore.set(split.xTrain.subarray(i * width, i * width + core), i * core);
  const xScaler: ColumnScaler = fitScaler(xCore, rows, core, kind);
  const xCoreScaled = transform(xScaler, xCore, rows);
  const x = new Float64Array(rows * width);
  for (let i = 0; i < rows; i++) {
    x.set(xCoreScaled.subarray(i * core, (i + 1) * core), i * width);
    x.set(split.xTrain.subarray(i * width + core, (i + 1) * width), i * width + core);
  }
  const xTest = new Float64Array(width);
  xTest.set(transform(xScaler, split.xTest.subarray(0, core), 1));
  xTest.set(split.xTest.subarray(core, width), core);
  return { x, y, rows, width, xTest, yScaler };
}

/**
 * The walk-forward MLP: call `forecastDay` for consecutive days. Each call recalibrates on the window
 * before the day (continuing from the previous call's weights) and forecasts it.
 */
export class MlpWalkForward {
  readonly options: MlpOptions;
  #net: Mlp | undefined;
  #random: () => number;
  #lastDay: number | undefined;

  constructor(options: Partial<MlpOptions> = {}) {
    this.options = { ...MLP_DEFAULTS, ...options };
    this.#random = seededRandom(this.options.seed);
  }

  forecastDay(series: DailySeries, d: number): Float64Array {
    if (this.#lastDay !== undefined && d !== this.#lastDay + 1) {
      throw new RangeError(`the MLP walks forward one day at a time: day ${d} after ${this.#lastDay}`);
    }
    const w = scaledWindow(series, d, this.options.window, this.options.transform ?? "invariant");
    const first = this.#net === undefined;
    this.#net ??= createMlp(w.width, this.options.hidden, HOURS, this.#random, this.options.hidden2);
    trainEpochs(
      this.#net,
      w.x,
      w.y,
      w.rows,
      first ? this.options.epochsInitial : this.options.epochsDaily,
      this.options,
      this.#random,
    );
    this.#lastDay = d;
    const scaled = mlpForward(this.#net, w.xTest, new Float64Array(HOURS));
    return inverseTransform(w.yScaler, scaled, 1);
  }
}
