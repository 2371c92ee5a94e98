/**
 * A deterministic LMP simulator: the default price source when no real feed is configured.
 *
 * Every random number is a pure function of (seed, zone, stream, interval index): a hashed counter, not a
 * stateful generator walked forward. That is what makes results independent of the order of calls — the
 * 5-minute tick computed live at 14:05 equals the one the 30-day backfill produced for 14:05 — and lets
 * any interval be computed without replaying history.
 *
 * The processes that need memory (mean reversion, volatility clustering) are therefore written as
 * truncated moving sums of hashed shocks with geometric weights: an AR(1)/Ornstein–Uhlenbeck process
 * X(t) = Σₖ φᵏ·σ·ε(t−k), cut where φᵏ is negligible. Volatility clustering is a stochastic-volatility
 * factor (a daily AR(1) in log-volatility scaling the shocks) — the property GARCH is used for
 * (calm and turbulent stretches), but computable from a finite window, which GARCH's recursion is not.
 *
 * Price model for hour H of local day D (log space, then $):
 *   base   = level · season(D) · week(D) · shape(hour, season) · exp(W(D) + heat(D)·peak(hour) + E(H))
 *   DA     = base − solar(H) − wind(H) + rare DA spike
 *   RT(5′) = DA(H) · exp(R(t)) + scarcity episode + rare negative dip (renewable zones: more)
 * W: daily weather/fuel AR(1); heat: multi-day heat/cold events (heavy right tail, peak hours most);
 * E: hourly AR(1) with stochastic volatility; R: 5-minute AR(1) with Student-t shocks (heavier tail).
 * Each price is clamped to the zone's [offerFloor, costBasedOfferCap] and split into energy, congestion
 * and loss components rounded to cents, with lmp their exact sum.
 */
import { addDays, formatDate, localDayBounds, parseDate, tzOffsetMs } from "./clock.ts";
import type { LoadPoint, PriceTick } from "./types.ts";
import { daResultsUtc, type Iso, ISOS, ZONES } from "./zones.ts";

const MIN5 = 300_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;

// ---------------------------------------------------------------------------------------------------
// Hashed randomness

function mix32(h: number): number {
  // murmur3's finaliser: full avalanche, so neighbouring counters give unrelated outputs.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** 32-bit state for (seed, zone, stream, index); index may be any safe integer (negative too). */
export function hashState(seed: number, zone: number, stream: number, index: number): number {
  const lo = index >>> 0;
  const hi = Math.floor(index / 4294967296) | 0;
  let h = mix32((seed >>> 0) ^ 0x9e3779b9);
  h = mix32(h ^ Math.imul(Math.floor(seed / 4294967296) | 0, 0x7feb352d));
  h = mix32(h ^ Math.imul(zone + 1, 0x27d4eb2d));
  h = mix32(h ^ Math.imul(stream, 0x165667b1));
  h = mix32(h ^ hi);
  return mix32(h ^ lo);
}

/** mulberry32: a small PRNG seeded from one hashed state, for the few draws one interval needs. */
export function mulberry32(state: number): () => number {
  let a = state | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A standard normal from two uniforms (Box–Muller); `u1` is kept away from 0 so log() stays finite. */
export function normal(rand: () => number): number {
  const u1 = (Math.floor(rand() * 4294967296) + 0.5) / 4294967296;
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * rand());
}

/** Student-t with 4 degrees of freedom scaled to unit variance: the heavier RT tail. */
function studentT4(rand: () => number): number {
  const z = normal(rand);
  let chi = 0;
  for (let i = 0; i < 4; i++) chi += normal(rand) ** 2;
  return (z / Math.sqrt(chi / 4)) * Math.SQRT1_2; // Var(t₄) = 2
}

// ---------------------------------------------------------------------------------------------------
// Zone parameters (shape of prices, not market rules: those are in zones.ts)

interface ShapeParams {
  /** Log-amplitudes of the evening peak, morning peak, afternoon plateau and night trough. */
  evening: number;
  morning: number;
  afternoon: number;
  night: number;
  /** Hour of the evening peak (local, fractional). */
  eveningAt: number;
}

interface ZoneModel {
  /** Shoulder-season level, $/MWh, before the seasonal and shape multipliers. */
  level: number;
  /** Shoulder-season system load, MW: with the seasons the annual mean is ~10 % higher (rough 2024 ISO figures). */
  loadMw: number;
  /** Log-multipliers at full summer and full winter. */
  summer: number;
  winter: number;
  shapes: { shoulder: ShapeParams; summer: ShapeParams; winter: ShapeParams };
  /** Daily weather/fuel AR(1): coefficient and innovation sd (log). */
  dailyPhi: number;
  dailySd: number;
  /** Daily probability of a heat (summer) / cold (winter) event starting, and its mean log-amplitude. */
  heatSummer: number;
  heatWinter: number;
  heatAmp: number;
  /** Hourly AR(1) in log price. */
  hourlyPhi: number;
  hourlySd: number;
  /** $/MWh taken off at solar noon (full spring sun) and by full wind (night-weighted). */
  solarDepth: number;
  windDepth: number;
  /** 5-minute AR(1) of log(RT/DA). */
  rtPhi: number;
  rtSd: number;
  /** RT scarcity episode probability per hour (scaled by peak, heat, volatility) and its size (× level). */
  rtSpike: number;
  rtSpikeScale: number;
  /** RT negative dip probability per hour. */
  rtDip: number;
  /** Congestion as a share of LMP (sd), marginal loss share (mean, sd). ERCOT prices carry no losses. */
  congestionSd: number;
  lossMean: number;
  lossSd: number;
}

const SHAPE_EAST_SUMMER: ShapeParams = { evening: 0.7, morning: 0.0, afternoon: 0.4, night: 0.4, eveningAt: 19.3 };
const SHAPE_EAST_WINTER: ShapeParams = { evening: 0.35, morning: 0.28, afternoon: 0.05, night: 0.25, eveningAt: 18 };
const SHAPE_EAST_SHOULDER: ShapeParams = {
  evening: 0.35,
  morning: 0.12,
  afternoon: 0.12,
  night: 0.28,
  eveningAt: 19.5,
};
// Net-load ("duck") shape: the midday dip comes from solarDepth, the evening ramp peak is steep.
const SHAPE_DUCK: ShapeParams = { evening: 0.7, morning: 0.15, afternoon: 0.0, night: 0.15, eveningAt: 19.5 };
const SHAPE_TEXAS_SUMMER: ShapeParams = { evening: 0.75, morning: 0.0, afternoon: 0.35, night: 0.25, eveningAt: 19.5 };

/**
 * Levels are rough 2024–2025 hub averages (orders of magnitude from the ISOs' market monitor reports,
 * not fitted), except PJM, whose parameters are calibrated against PJM's May–July 2025 hub prices
 * (tests/unit/market_simulator_test.ts states the bands).
 */
const MODELS: Record<Iso, ZoneModel> = {
  PJM: {
    level: 35,
    loadMw: 81000,
    summer: 0.2,
    winter: 0.3,
    shapes: { shoulder: SHAPE_EAST_SHOULDER, summer: SHAPE_EAST_SUMMER, winter: SHAPE_EAST_WINTER },
    dailyPhi: 0.7,
    dailySd: 0.15,
    heatSummer: 0.11,
    heatWinter: 0.05,
    heatAmp: 0.55,
    hourlyPhi: 0.85,
    hourlySd: 0.07,
    solarDepth: 2,
    windDepth: 2,
    rtPhi: 0.9,
    rtSd: 0.14,
    rtSpike: 0.007,
    rtSpikeScale: 8,
    rtDip: 0.002,
    congestionSd: 0.08,
    lossMean: 0.005,
    lossSd: 0.015,
  },
  CAISO: {
    level: 38,
    loadMw: 23500,
    summer: 0.15,
    winter: 0.2,
    shapes: { shoulder: SHAPE_DUCK, summer: SHAPE_DUCK, winter: SHAPE_EAST_WINTER },
    dailyPhi: 0.75,
    dailySd: 0.12,
    heatSummer: 0.03,
    heatWinter: 0.01,
    heatAmp: 0.35,
    hourlyPhi: 0.85,
    hourlySd: 0.07,
    solarDepth: 70,
    windDepth: 4,
    rtPhi: 0.88,
    rtSd: 0.14,
    rtSpike: 0.003,
    rtSpikeScale: 8,
    rtDip: 0.01,
    congestionSd: 0.1,
    lossMean: 0.01,
    lossSd: 0.02,
  },
  ERCOT: {
    level: 30,
    loadMw: 45000,
    summer: 0.35,
    winter: 0.1,
    shapes: { shoulder: SHAPE_EAST_SHOULDER, summer: SHAPE_TEXAS_SUMMER, winter: SHAPE_EAST_WINTER },
    dailyPhi: 0.7,
    dailySd: 0.15,
    heatSummer: 0.05,
    heatWinter: 0.02,
    heatAmp: 0.5,
    hourlyPhi: 0.85,
    hourlySd: 0.09,
    solarDepth: 14,
    windDepth: 9,
    rtPhi: 0.88,
    rtSd: 0.15,
    rtSpike: 0.004,
    rtSpikeScale: 15,
    rtDip: 0.01,
    congestionSd: 0.12,
    lossMean: 0,
    lossSd: 0,
  },
  NYISO: {
    level: 40,
    loadMw: 15300,
    summer: 0.15,
    winter: 0.4,
    shapes: { shoulder: SHAPE_EAST_SHOULDER, summer: SHAPE_EAST_SUMMER, winter: SHAPE_EAST_WINTER },
    dailyPhi: 0.72,
    dailySd: 0.13,
    heatSummer: 0.04,
    heatWinter: 0.04,
    heatAmp: 0.4,
    hourlyPhi: 0.85,
    hourlySd: 0.07,
    solarDepth: 1,
    windDepth: 1,
    rtPhi: 0.9,
    rtSd: 0.11,
    rtSpike: 0.003,
    rtSpikeScale: 6,
    rtDip: 0.001,
    congestionSd: 0.1,
    lossMean: 0.02,
    lossSd: 0.015,
  },
  MISO: {
    level: 32,
    loadMw: 68000,
    summer: 0.2,
    winter: 0.2,
    shapes: { shoulder: SHAPE_EAST_SHOULDER, summer: SHAPE_EAST_SUMMER, winter: SHAPE_EAST_WINTER },
    dailyPhi: 0.7,
    dailySd: 0.13,
    heatSummer: 0.04,
    heatWinter: 0.03,
    heatAmp: 0.4,
    hourlyPhi: 0.85,
    hourlySd: 0.08,
    solarDepth: 3,
    windDepth: 3,
    rtPhi: 0.9,
    rtSd: 0.11,
    rtSpike: 0.003,
    rtSpikeScale: 6,
    rtDip: 0.0015,
    congestionSd: 0.1,
    lossMean: 0.005,
    lossSd: 0.015,
  },
  SPP: {
    level: 30,
    loadMw: 29000,
    summer: 0.2,
    winter: 0.1,
    shapes: { shoulder: SHAPE_EAST_SHOULDER, summer: SHAPE_TEXAS_SUMMER, winter: SHAPE_EAST_WINTER },
    dailyPhi: 0.7,
    dailySd: 0.15,
    heatSummer: 0.035,
    heatWinter: 0.02,
    heatAmp: 0.4,
    hourlyPhi: 0.85,
    hourlySd: 0.09,
    solarDepth: 6,
    windDepth: 14,
    rtPhi: 0.88,
    rtSd: 0.15,
    rtSpike: 0.003,
    rtSpikeScale: 8,
    rtDip: 0.012,
    congestionSd: 0.14,
    lossMean: 0.005,
    lossSd: 0.02,
  },
  ISONE: {
    level: 40,
    loadMw: 11700,
    summer: 0.1,
    winter: 0.5,
    shapes: { shoulder: SHAPE_EAST_SHOULDER, summer: SHAPE_EAST_SUMMER, winter: SHAPE_EAST_WINTER },
    dailyPhi: 0.75,
    dailySd: 0.13,
    heatSummer: 0.03,
    heatWinter: 0.05,
    heatAmp: 0.4,
    hourlyPhi: 0.85,
    hourlySd: 0.06,
    solarDepth: 3,
    windDepth: 1,
    rtPhi: 0.9,
    rtSd: 0.1,
    rtSpike: 0.0025,
    rtSpikeScale: 6,
    rtDip: 0.001,
    congestionSd: 0.05,
    lossMean: 0.01,
    lossSd: 0.01,
  },
};

// Random streams: one per kind of shock, so adding a stream never shifts another's numbers.
const S_DAILY = 1, S_HEAT = 2, S_VOL = 3, S_HOURLY = 4, S_CLOUD = 5, S_WIND = 6, S_DA_SPIKE = 7;
const S_RT = 8, S_RT_EPISODE = 9, S_RT_DIP = 10, S_CONGESTION = 11, S_LOSS = 12, S_RT_SPLIT = 13;
const S_RT_DIP_SPLIT = 14, S_LOAD = 15;

// Truncation of the moving sums: the first dropped weight φᴷ is 0.7–2% of the newest shock's.
const K_DAILY = 14, K_VOL = 20, K_HOURLY = 30, K_WIND = 60, K_RT = 45, K_CONGESTION = 24;
const HEAT_PROFILE = [0.55, 1, 0.9, 0.55, 0.25]; // days since the event started
/**
 * Load follows the processes prices do, with smaller amplitudes (price is convex in load): log-load =
 * level + season + weekday + LOAD_SHAPE·shape(hour) + LOAD_WEATHER·W(D) + LOAD_HEAT·log(1 + heat(D))·peak(hour). That is the
 * day-ahead forecast: every term is known before D's gate. The actual adds LOAD_SURPRISE of the hour's own price
 * shock E(H) (a load surprise moves price) and a small hourly AR(1) error, the forecast's own error. Heat enters
 * through log(1 + heat): air conditioning saturates, so a severe event lifts load ~1.5×, not the price's multiple.
 */
const LOAD_SHAPE = 0.45, LOAD_WEATHER = 0.6, LOAD_HEAT = 0.35, LOAD_SURPRISE = 0.2, LOAD_ERR_SD = 0.01;
const LOAD_SUMMER = 0.14, LOAD_WINTER = 0.1, K_LOAD = 12, LOAD_PHI = 0.8;
const LOAD_WEEKDAY = [-0.09, -0.01, 0, 0, 0, -0.01, -0.06]; // Sunday … Saturday
const DA_PREMIUM = 0.05;
const WIND_PHI = 0.93, VOL_PHI = 0.8, VOL_SD = 0.22, CONGESTION_PHI = 0.85;

function bump(h: number, at: number, width: number): number {
  // Circular distance: the night trough spans midnight.
  const d = Math.min(Math.abs(h - at), 24 - Math.abs(h - at));
  return Math.exp(-0.5 * (d / width) ** 2);
}

function logShape(p: ShapeParams): number[] {
  const raw = Array.from({ length: 24 }, (_, h) => {
    const t = h + 0.5; // mid-hour
    return p.evening * bump(t, p.eveningAt, 2.2) + p.morning * bump(t, 8, 1.6) +
      p.afternoon * bump(t, 14.5, 3.5) - p.night * bump(t, 3.5, 2.6);
  });
  // Normalise so that exp(shape) averages 1 over the day: levels stay daily means.
  const mean = raw.reduce((s, x) => s + Math.exp(x), 0) / 24;
  return raw.map((x) => x - Math.log(mean));
}

interface PreparedZone {
  iso: Iso;
  index: number;
  model: ZoneModel;
  tz: string;
  floor: number;
  cap: number;
  shoulder: number[];
  summer: number[];
  winter: number[];
}

const PREPARED = Object.fromEntries(ISOS.map((iso, index) => {
  const model = MODELS[iso];
  const zone: PreparedZone = {
    iso,
    index,
    model,
    tz: ZONES[iso].timeZone,
    floor: ZONES[iso].offerFloor,
    cap: ZONES[iso].costBasedOfferCap,
    shoulder: logShape(model.shapes.shoulder),
    summer: logShape(model.shapes.summer),
    winter: logShape(model.shapes.winter),
  };
  return [iso, zone];
})) as Record<Iso, PreparedZone>;

// ---------------------------------------------------------------------------------------------------
// Calendar helpers on local day numbers (days since 1970-01-01 of the local calendar date)

function dayOfYear(dayNumber: number): number {
  const d = new Date(dayNumber * DAY);
  return Math.floor((dayNumber * DAY - Date.UTC(d.getUTCFullYear(), 0, 1)) / DAY) + 1;
}

/** US holidays on which load looks like a Sunday (NERC off-peak days). */
function isHoliday(dayNumber: number): boolean {
  const d = new Date(dayNumber * DAY);
  const m = d.getUTCMonth() + 1, day = d.getUTCDate(), wd = d.getUTCDay();
  if ((m === 1 && day === 1) || (m === 7 && day === 4) || (m === 12 && day === 25)) return true;
  if (m === 5 && wd === 1 && day > 24) return true; // Memorial Day: last Monday of May
  if (m === 9 && wd === 1 && day <= 7) return true; // Labor Day: first Monday of September
  return m === 11 && wd === 4 && day >= 22 && day <= 28; // Thanksgiving: fourth Thursday
}

/** Summer and winter weights in [0, 1] (peaks around 19 July and 15 January). */
function seasonWeights(dayNumber: number): { s: number; w: number } {
  const doy = dayOfYear(dayNumber);
  return {
    s: Math.max(0, Math.cos((2 * Math.PI * (doy - 200)) / 365)),
    w: Math.max(0, Math.cos((2 * Math.PI * (doy - 15)) / 365)),
  };
}

/** Spring weight (peak 15 April): snow-melt hydro plus mild load make the solar trough deepest then. */
function springWeight(dayNumber: number): number {
  return 0.5 + 0.5 * Math.cos((2 * Math.PI * (dayOfYear(dayNumber) - 105)) / 365);
}

const WEEKDAY_LOG = [-0.14, -0.02, 0, 0, 0, -0.01, -0.08]; // Sunday … Saturday

// ---------------------------------------------------------------------------------------------------
// One simulation context: caches of pure functions, so a call computes each day/hour once.

interface DayState {
  logBase: number; // level · season · week · W(D), in log
  weather: number; // W(D)
  holiday: boolean;
  weekday: number;
  heat: number;
  vol: number; // exp(stochastic log-volatility)
  cloud: number; // 0 clear … 1 overcast
  season: { s: number; w: number };
  spring: number;
}

interface HourState {
  da: number; // unrounded DA price, $/MWh (before clamping)
  localHour: number;
  dayNumber: number;
  heatPeak: number; // heat(D)·peak(hour): drives RT scarcity
  vol: number;
  night: number; // 0…1 night-ness, for where negative dips happen
  solar: number; // 0…1 solar output share
  loadForecast: number; // MW, day-ahead forecast
  loadActual: number; // MW
}

class ZoneSim {
  private days = new Map<number, DayState>();
  private hours = new Map<number, HourState>();
  private shocks = new Map<number, Map<number, number>>();
  private offsets = new Map<number, number>();

  constructor(readonly zone: PreparedZone, readonly seed: number) {}

  private rand(stream: number, index: number): () => number {
    return mulberry32(hashState(this.seed, this.zone.index, stream, index));
  }

  /**
   * The standard normal shock of (stream, index), memoised: an AR sum over K terms reuses K − 1 of the
   * previous interval's shocks. Memoising a pure function cannot change a result, only its cost.
   */
  private normalAt(stream: number, index: number): number {
    let m = this.shocks.get(stream);
    if (!m) this.shocks.set(stream, m = new Map());
    let v = m.get(index);
    if (v === undefined) {
      v = stream === S_RT ? studentT4(this.rand(stream, index)) : normal(this.rand(stream, index));
      m.set(index, v);
    }
    return v;
  }

  /** Offset of the market clock at a UTC hour (US offsets only change on whole UTC hours). */
  offsetAt(utcHour: number): number {
    let o = this.offsets.get(utcHour);
    if (o === undefined) {
      o = tzOffsetMs(this.zone.tz, utcHour * HOUR);
      this.offsets.set(utcHour, o);
    }
    return o;
  }

  private dailyLogVol(dayNumber: number): number {
    let v = 0;
    for (let k = 0; k <= K_VOL; k++) v += VOL_PHI ** k * VOL_SD * this.normalAt(S_VOL, dayNumber - k);
    return v;
  }

  /** Heat/cold event contributions: an event starting on day d lasts HEAT_PROFILE.length days. */
  private heat(dayNumber: number): number {
    const m = this.zone.model;
    let h = 0;
    for (let k = 0; k < HEAT_PROFILE.length; k++) {
      const start = dayNumber - k;
      const { s, w } = seasonWeights(start);
      const r = this.rand(S_HEAT, start);
      if (r() < m.heatSummer * s + m.heatWinter * w) {
        // Exponential amplitudes above a floor: most events are mild, a few are severe.
        const amp = m.heatAmp * (0.2 - Math.log(1 - r()));
        h += amp * HEAT_PROFILE[k];
      }
    }
    return h;
  }

  day(dayNumber: number): DayState {
    let d = this.days.get(dayNumber);
    if (d) return d;
    const m = this.zone.model;
    const season = seasonWeights(dayNumber);
    const weekday = new Date(dayNumber * DAY).getUTCDay();
    let weather = 0;
    for (let k = 0; k <= K_DAILY; k++) weather += m.dailyPhi ** k * m.dailySd * this.normalAt(S_DAILY, dayNumber - k);
    const logVol = this.dailyLogVol(dayNumber);
    d = {
      logBase: Math.log(m.level) + m.summer * season.s + m.winter * season.w +
        (isHoliday(dayNumber) ? WEEKDAY_LOG[0] : WEEKDAY_LOG[weekday]) + weather,
      weather,
      holiday: isHoliday(dayNumber),
      weekday,
      heat: this.heat(dayNumber),
      vol: Math.exp(logVol - VOL_SD ** 2 / (2 * (1 - VOL_PHI ** 2))), // mean-one multiplier
      cloud: this.rand(S_CLOUD, dayNumber)(),
      season,
      spring: springWeight(dayNumber),
    };
    this.days.set(dayNumber, d);
    return d;
  }

  /** The hourly log shock ε(H)·σ·vol(day of H). */
  private hourlyShock(utcHour: number): number {
    const vol = this.day(Math.floor(utcHour / 24)).vol; // UTC day: the regime needs no local alignment
    return this.zone.model.hourlySd * vol * this.normalAt(S_HOURLY, utcHour);
  }

  private wind(utcHour: number): number {
    let x = 0;
    for (let k = 0; k <= K_WIND; k++) x += WIND_PHI ** k * 0.3 * this.normalAt(S_WIND, utcHour - k);
    // Log-normal capacity factor around 1 (stationary sd of x ≈ 0.82).
    return Math.exp(x - 0.34);
  }

  hour(utcHour: number): HourState {
    let st = this.hours.get(utcHour);
    if (st) return st;
    const m = this.zone.model;
    const localMs = utcHour * HOUR + this.offsetAt(utcHour);
    const dayNumber = Math.floor(localMs / DAY);
    const localHour = Math.floor((localMs - dayNumber * DAY) / HOUR);
    const d = this.day(dayNumber);
    const { s, w } = d.season;
    const shoulderW = Math.max(0, 1 - s - w);
    const z = this.zone;
    const shape = shoulderW * z.shoulder[localHour] + s * z.summer[localHour] + w * z.winter[localHour];
    // Heat tightens the peak most: 35% of the effect at night, all of it in the evening peak.
    const peak = 0.35 + 0.65 * bump(localHour + 0.5, 18, 3.5);
    let e = 0;
    for (let k = 0; k <= K_HOURLY; k++) e += m.hourlyPhi ** k * this.hourlyShock(utcHour - k);
    const base = Math.exp(d.logBase + shape + d.heat * peak + e);
    const solar = Math.max(0, Math.sin((Math.PI * (localHour + 0.5 - 6)) / 13)) * (0.55 + 0.45 * s + 0.2 * d.spring);
    const night = bump(localHour + 0.5, 2.5, 4);
    const solarCut = m.solarDepth * solar * (0.5 + 0.7 * d.spring) * (1 - 0.7 * d.cloud);
    const windCut = m.windDepth * this.wind(utcHour) * (0.5 + 0.7 * night) * (0.6 + 0.6 * d.spring);
    let da = base - solarCut - windCut;
    const spike = this.rand(S_DA_SPIKE, utcHour);
    if (spike() < 0.0015 * peak * d.vol) da += base * (1 - Math.log(1 - spike())); // rare DA scarcity hour
    const z0 = this.zone.model;
    const logLoad = Math.log(z0.loadMw) + LOAD_SUMMER * s + LOAD_WINTER * w +
      (d.holiday ? LOAD_WEEKDAY[0] : LOAD_WEEKDAY[d.weekday]) + LOAD_SHAPE * shape + LOAD_WEATHER * d.weather +
      LOAD_HEAT * Math.log1p(d.heat) * peak;
    let loadErr = 0;
    for (let k = 0; k <= K_LOAD; k++) loadErr += LOAD_PHI ** k * LOAD_ERR_SD * this.normalAt(S_LOAD, utcHour - k);
    st = {
      da,
      localHour,
      dayNumber,
      heatPeak: d.heat * peak,
      vol: d.vol,
      night,
      solar,
      loadForecast: Math.exp(logLoad),
      loadActual: Math.exp(logLoad + LOAD_SURPRISE * e + loadErr),
    };
    this.hours.set(utcHour, st);
    return st;
  }

  private rtShock(index5: number): number {
    const vol = this.day(Math.floor(index5 / 288)).vol;
    return this.zone.model.rtSd * vol * this.normalAt(S_RT, index5); // Student-t for this stream
  }

  /** RT price of the 5-minute interval `index5` (= start ms / 300,000), unrounded and unclamped. */
  rt(index5: number): number {
    const m = this.zone.model;
    const utcHour = Math.floor(index5 / 12);
    const h = this.hour(utcHour);
    let r = 0;
    for (let k = 0; k <= K_RT; k++) r += m.rtPhi ** k * this.rtShock(index5 - k);
    // exp(r) has mean > 1; centring on −σ²/2 keeps RT's median near DA, spikes make its mean higher.
    // DA_PREMIUM: buyers pay for DA certainty, so RT usually clears a little below DA (PJM May–Jul 2025:
    // median log(RT/DA) −0.07 at the hubs).
    const rtVar = (m.rtSd ** 2) / (1 - m.rtPhi ** 2);
    let price = h.da * Math.exp(r - rtVar / 2 - DA_PREMIUM);
    // Scarcity episodes are drawn per hour (they last), their 5-minute intervals per interval.
    const ep = this.rand(S_RT_EPISODE, utcHour);
    const pEpisode = m.rtSpike * h.vol * Math.exp(3 * h.heatPeak) * (0.3 + bump(h.localHour + 0.5, 18.5, 2.5));
    if (ep() < pEpisode) {
      const size = m.rtSpikeScale * m.level * Math.pow(1 - ep(), -1 / 1.6); // Pareto tail, α = 1.6
      const share = 0.4 + 0.6 * ep(); // how much of the hour is short
      const split = this.rand(S_RT_SPLIT, index5);
      if (split() < share) price += size * (0.6 + 0.8 * split());
    }
    const dip = this.rand(S_RT_DIP, utcHour);
    const pDip = m.rtDip * (0.4 + h.night + 1.2 * h.solar);
    if (dip() < pDip) {
      const intervalDip = this.rand(S_RT_DIP_SPLIT, index5);
      if (intervalDip() < 0.8) price -= m.level * (0.6 + 1.5 * dip()) * (0.5 + intervalDip());
    }
    return price;
  }

  private congestionShare(index: number, stream: number): number {
    let c = 0;
    const sd = this.zone.model.congestionSd * Math.sqrt(1 - CONGESTION_PHI ** 2);
    for (let k = 0; k <= K_CONGESTION; k++) c += CONGESTION_PHI ** k * sd * this.normalAt(stream, index - k);
    return c;
  }

  /** Clamps, then splits into cents: congestion and loss are rounded, energy is the remainder. */
  tick(market: "DA" | "RT", start: number, end: number, price: number, index: number): PriceTick {
    const z = this.zone;
    const lmpCents = Math.round(Math.min(z.cap, Math.max(z.floor, price)) * 100);
    // DA and RT components come from different streams (indexes are hours and 5-minute slots).
    const stream = market === "DA" ? S_CONGESTION : S_CONGESTION + 100;
    const congShare = this.congestionShare(index, stream);
    const lossShare = z.model.lossMean + z.model.lossSd * this.normalAt(market === "DA" ? S_LOSS : S_LOSS + 100, index);
    // Shares of |LMP| so components keep sensible signs when the price is negative.
    const congestionCents = Math.round(Math.abs(lmpCents) * congShare);
    const lossCents = Math.round(Math.abs(lmpCents) * lossShare);
    const energyCents = lmpCents - congestionCents - lossCents;
    return {
      zone: z.iso,
      market,
      interval_start: new Date(start).toISOString(),
      interval_end: new Date(end).toISOString(),
      lmp: (energyCents + congestionCents + lossCents) / 100,
      energy: energyCents / 100,
      congestion: congestionCents / 100,
      loss: lossCents / 100,
    };
  }
}

// ---------------------------------------------------------------------------------------------------
// Public API

function checkSeed(seed: number): void {
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
}

function sim(zone: Iso, seed: number): ZoneSim {
  checkSeed(seed);
  const prepared = PREPARED[zone];
  if (!prepared) throw new RangeError(`unknown zone: ${zone}`);
  return new ZoneSim(prepared, seed);
}

function dayAheadWith(s: ZoneSim, deliveryDate: string): PriceTick[] {
  const [start, end] = localDayBounds(s.zone.tz, deliveryDate);
  const ticks: PriceTick[] = [];
  for (let t = start; t < end; t += HOUR) ticks.push(s.tick("DA", t, t + HOUR, s.hour(t / HOUR).da, t / HOUR));
  return ticks;
}

function realTimeWith(s: ZoneSim, from: number, to: number): PriceTick[] {
  const ticks: PriceTick[] = [];
  for (let t = Math.floor(from / MIN5) * MIN5; t < to; t += MIN5) {
    ticks.push(s.tick("RT", t, t + MIN5, s.rt(t / MIN5), t / MIN5));
  }
  return ticks;
}

/**
 * Day-ahead prices for the zone's operating day `deliveryDate` ("YYYY-MM-DD" on its market clock):
 * one tick per hour from local midnight to the next — 23 on the spring DST day, 25 on the autumn one
 * (MISO, on EST all year, always has 24).
 */
export function simulateDayAhead(zone: Iso, deliveryDate: string, seed: number): PriceTick[] {
  parseDate(deliveryDate);
  return dayAheadWith(sim(zone, seed), deliveryDate);
}

const mw = (x: number) => Math.round(x * 100) / 100;

function loadWith(s: ZoneSim, deliveryDate: string, actualUntil: number): LoadPoint[] {
  const [start, end] = localDayBounds(s.zone.tz, deliveryDate);
  const out: LoadPoint[] = [];
  for (let t = start; t < end; t += HOUR) {
    const h = s.hour(t / HOUR);
    out.push({
      zone: s.zone.iso,
      interval_start: new Date(t).toISOString(),
      interval_end: new Date(t + HOUR).toISOString(),
      forecast_mw: mw(h.loadForecast),
      actual_mw: t + HOUR <= actualUntil ? mw(h.loadActual) : null,
    });
  }
  return out;
}

/**
 * Hourly system load of the zone's operating day `deliveryDate` (MW, to the hundredth): the day-ahead forecast
 * of every hour, and the actual of the hours that ended by `actualUntil` (default: all of them) — the actual
 * is not known before its hour is over. Driven by the same weather and heat processes as the prices.
 */
export function simulateLoad(zone: Iso, deliveryDate: string, seed: number, actualUntil = Infinity): LoadPoint[] {
  parseDate(deliveryDate);
  return loadWith(sim(zone, seed), deliveryDate, actualUntil);
}

/** DA prices and load of the operating days `from` … `to` (inclusive), one chunk per zone and day, oldest first. */
export function* dayAheadHistory(
  zones: readonly Iso[],
  from: string,
  to: string,
  seed: number,
  actualUntil = Infinity,
): Generator<{ ticks: PriceTick[]; load: LoadPoint[] }> {
  const sims = zones.map((z) => sim(z, seed));
  for (let date = from; date <= to; date = addDays(date, 1)) {
    for (const s of sims) yield { ticks: dayAheadWith(s, date), load: loadWith(s, date, actualUntil) };
  }
}

/**
 * Real-time 5-minute prices for every interval that overlaps [from, to): intervals are aligned to
 * 5-minute UTC boundaries, so adjacent ranges never repeat an interval.
 */
export function simulateRealTime(zone: Iso, from: Date, to: Date, seed: number): PriceTick[] {
  const a = from.getTime(), b = to.getTime();
  if (!Number.isFinite(a) || !Number.isFinite(b)) throw new RangeError("from/to must be valid dates");
  return realTimeWith(sim(zone, seed), a, b);
}

/** The RT tick of the 5-minute interval containing `at`: the live price at that moment. */
export function liveTicks(zone: Iso, at: Date, seed: number): PriceTick {
  const t = at.getTime();
  if (!Number.isFinite(t)) throw new RangeError("at must be a valid date");
  const start = Math.floor(t / MIN5) * MIN5;
  return realTimeWith(sim(zone, seed), start, start + 1)[0];
}

/**
 * History up to `now`: for each zone and each operating day touching the last `days` days, one chunk
 * with that day's DA hours and its RT intervals in [now − days, start of the interval containing now);
 * then, per zone, tomorrow's DA once its results are published (at `daResultsPublished`). Chunks come
 * oldest day first, one zone at a time within a day, each a single zone (≤ 25 + 288 ticks), so a caller
 * never holds more than one chunk; the live tick of the current interval is `liveTicks`'s job.
 */
export function* backfill(
  zones: readonly Iso[],
  days: number,
  now: Date,
  seed: number,
  /** Resume: RT intervals from here on only (a gap after an earlier fill), never before `days` ago. */
  from?: Date,
): Generator<PriceTick[]> {
  checkSeed(seed);
  if (!Number.isFinite(days) || days < 0) throw new RangeError(`days must be ≥ 0, got ${days}`);
  if (days === 0) return;
  const end = Math.floor(now.getTime() / MIN5) * MIN5;
  if (!Number.isFinite(end)) throw new RangeError("now must be a valid date");
  const earliest = end - Math.round(days * DAY / MIN5) * MIN5;
  const start = from ? Math.max(earliest, Math.ceil(from.getTime() / MIN5) * MIN5) : earliest;
  if (start >= end) return;
  const sims = zones.map((z) => sim(z, seed));
  const first = new Map<Iso, string>();
  let date = "";
  for (const s of sims) {
    const d = localDateOf(s, start);
    first.set(s.zone.iso, d);
    if (!date || d < date) date = d;
  }
  for (;; date = addDays(date, 1)) {
    let any = false;
    for (const s of sims) {
      if (date < first.get(s.zone.iso)!) continue;
      const [dayStart, dayEnd] = localDayBounds(s.zone.tz, date);
      if (dayStart >= end) continue;
      any = true;
      const chunk = dayAheadWith(s, date);
      chunk.push(...realTimeWith(s, Math.max(start, dayStart), Math.min(end, dayEnd)));
      yield chunk;
    }
    if (!any) break;
  }
  for (const s of sims) {
    const tomorrow = addDays(localDateOf(s, end), 1);
    if (daResultsUtc(s.zone.iso, tomorrow).getTime() <= now.getTime()) yield dayAheadWith(s, tomorrow);
  }
}

function localDateOf(s: ZoneSim, instant: number): string {
  const d = new Date(instant + s.offsetAt(Math.floor(instant / HOUR)));
  return formatDate(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate());
}
