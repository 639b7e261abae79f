// The shape of every line of a study file, checked on read: one decoder per line type, built
// from the types in ./types and ../types (the compiler holds each decoder to its type). A study
// file is untrusted (a workspace can hold any file, even in Restricted Mode): a line that fails
// here is skipped and counted, so no view ever meets a field of the wrong type.
import type {
  BatchScheduleSpec,
  BatchSizeChoice,
  BatchSizePlan,
  CandidateEvidence,
  CheckpointInfo,
  CriticalBatchPoint,
  EvalMetrics,
  MemoryCheck,
  NearOptimalBand,
  NoiseScaleEstimate,
  Parallelism,
  Recommendation,
  RecommendationBasis,
  ScheduleRecommendation,
  StudyPhase,
  ThroughputModelEvidence,
  TrialError,
  TrialStatus,
  TrialSummary,
} from '../types';
import { LR_RULES } from '../tuner/lrScaling';
import { scheduleProblemMessage, validateSchedule } from '../schedule/validate';
import type { StudyLine, StudyPlan, StudyStartLine, TrialSeries, WriterIdentity } from './types';
import { arr, bool, fail, nullable, num, obj, oneOf, opt, pair, posInt, str, type Decoder } from './decoders';

const TRIAL_STATUSES: readonly TrialStatus[] = ['ok', 'oom', 'crashed', 'timeout', 'cancelled', 'failed'];
const PHASES: readonly StudyPhase[] = ['plan', 'profile', 'noise', 'convergence', 'branch', 'recommend', 'done'];
const basis = oneOf(['measured', 'fitted', 'assumed']);
const lossSource = oneOf(['validation', 'training']);
const lrRule = oneOf(LR_RULES);

/** The one schedule validator (schedule/validate.ts), as a decoder: Apply writes these into configs. */
const schedule: Decoder<BatchScheduleSpec> = (x, path) => {
  const [first] = validateSchedule(x);
  return first ? fail(path, `a valid batch schedule: ${scheduleProblemMessage(first)}`, x) : (JSON.parse(JSON.stringify(x)) as BatchScheduleSpec);
};

const noiseScale = obj<NoiseScaleEstimate>({
  value: num,
  low: num,
  high: num,
  source: opt(oneOf(['gradient-statistics', 'loss-curves'])),
  history: opt(arr(obj<NonNullable<NoiseScaleEstimate['history']>[number]>({ samples: num, loss: num, value: num, low: opt(num), high: opt(num) }))),
  historyBatchSize: opt(num),
});

const choice = obj<BatchSizeChoice>({
  batchSize: posInt,
  learningRate: num,
  predictedTimeToTarget: opt(num),
  samplesPerSecond: opt(num),
  peakMemoryBytes: opt(num),
  reason: str,
});

const candidate = obj<CandidateEvidence>({
  batchSize: posInt,
  status: oneOf([...TRIAL_STATUSES, 'predicted', 'skipped']),
  samplesPerSecond: opt(num),
  samplesPerSecondIqr: opt(pair(num)),
  fittedSamplesPerSecond: opt(num),
  fittedSamplesPerSecondInterval: opt(pair(num)),
  throughputWindows: opt(num),
  peakMemoryBytes: opt(num),
  fits: bool,
  goodput: opt(num),
  predictedTimeToTarget: opt(num),
  relativeTimeToTarget: opt(num),
  inBand: opt(bool),
  measuredLoss: opt(num),
  measuredLossSpread: opt(num),
  lossSource: opt(lossSource),
  measuredTimeToTarget: opt(num),
  measuredStepsToTarget: opt(num),
  diverged: opt(str),
  learningRate: opt(num),
});

const throughputModel = obj<ThroughputModelEvidence>({
  overheadSeconds: num,
  perSampleSeconds: num,
  quadraticSeconds: num,
  terms: oneOf(['linear', 'quadratic']),
  rule: str,
  residualScale: num,
  observations: num,
  shape: oneOf(['rising', 'flat', 'falling']),
  residuals: arr(
    obj<ThroughputModelEvidence['residuals'][number]>({
      batchSize: num,
      measuredStepSeconds: num,
      fittedStepSeconds: num,
      relativeResidual: num,
      windows: num,
    }),
  ),
  roundDrift: opt(num),
});

const memoryCheck = obj<MemoryCheck>({
  batchSize: posInt,
  predictedPeakBytes: num,
  status: oneOf(TRIAL_STATUSES),
  measuredPeakBytes: opt(num),
  relativeError: opt(num),
});

const criticalPoint = obj<CriticalBatchPoint>({
  samples: num,
  step: opt(num),
  loss: num,
  value: num,
  low: num,
  high: num,
  tolerance: num,
  method: str,
  branches: arr(obj<CriticalBatchPoint['branches'][number]>({ batchSize: posInt, relativeLoss: num, seeds: num })),
  noiseScale: opt(obj<NonNullable<CriticalBatchPoint['noiseScale']>>({ value: num, low: num, high: num })),
  checkpointSource: oneOf(['given', 'study']),
  basis,
  atLeast: opt(bool),
});

const batchPlan = obj<BatchSizePlan>({
  kind: oneOf(['fixed', 'warmup']),
  stages: arr(obj<BatchSizePlan['stages'][number]>({ fromSamples: num, batchSize: posInt, learningRate: num })),
  schedule: opt(schedule),
  horizonSamples: num,
  predictedSteps: opt(num),
  predictedSeconds: opt(num),
  bestFixed: obj<BatchSizePlan['bestFixed']>({ batchSize: posInt, predictedSteps: opt(num), predictedSeconds: opt(num) }),
  speedupVsBestFixed: opt(num),
  basis,
  description: str,
});

type Evidence = Recommendation['evidence'];
const evidence = obj<Evidence>({
  lrRule: oneOf([...LR_RULES, 'adascale']),
  memoryLimitBytes: opt(num),
  memoryFit: opt(obj<NonNullable<Evidence['memoryFit']>>({ a: num, b: num, r2: opt(num) })),
  predictedMaxFit: opt(num),
  memoryCheck: opt(memoryCheck),
  oomCeiling: opt(num),
  throughputModel: opt(throughputModel),
  startupSeconds: opt(num),
  assumedNoiseScale: opt(num),
  noiseScaleCrossCheck: opt(noiseScale),
  targetLoss: opt(num),
  lossSource: opt(lossSource),
  goodputPick: opt(num),
  minSteps: opt(num),
  measuredSpeedupVsCurrent: opt(num),
  predictedSpeedupVsCurrent: opt(num),
  verdict: opt(obj<NonNullable<Evidence['verdict']>>({ rule: str, by: oneOf(['model', 'measurement']), measuredPick: opt(num) })),
  notes: arr(str),
});

export const recommendation = obj<Recommendation>({
  batchSize: posInt,
  learningRate: num,
  speedupVsCurrent: opt(num),
  speedupBasis: opt(oneOf(['measured', 'fitted'])),
  predictedTimeToTarget: opt(num),
  current: obj<Recommendation['current']>({ batchSize: posInt, learningRate: num, predictedTimeToTarget: opt(num) }),
  band: obj<NearOptimalBand>({ low: num, high: num, tolerance: num, sizes: arr(num), basis, note: opt(str) }),
  basis: obj<RecommendationBasis>({ throughput: basis, noiseScale: basis, convergence: basis }),
  undetermined: arr(str),
  noiseScale: opt(noiseScale),
  alternatives: obj<Recommendation['alternatives']>({ largestThatFits: opt(choice), maxThroughput: opt(choice), mostSampleEfficient: opt(choice) }),
  candidates: arr(candidate),
  evidence,
  schedule: opt(
    obj<ScheduleRecommendation>({
      description: str,
      schedule,
      predictedTimeToTarget: opt(num),
      speedupVsBestFixed: opt(num),
      adaptiveAlternative: opt(schedule),
    }),
  ),
  criticalBatchSize: opt(arr(criticalPoint)),
  plan: opt(batchPlan),
  parallelism: opt(obj<Parallelism>({ microBatchSize: posInt, accumulationSteps: posInt, worldSize: posInt, globalBatchSize: posInt, reason: opt(str) })),
});

const trialError = obj<TrialError>({
  kind: oneOf(['oom', 'crash', 'hang', 'cancelled', 'config', 'spawn', 'exit']),
  message: str,
  exitCode: opt(nullable(num)),
  signal: opt(nullable(str)),
  stderrTail: opt(str),
});

const trialSummary = obj<TrialSummary>({
  id: str,
  status: oneOf(TRIAL_STATUSES),
  error: opt(trialError),
  batchSize: posInt,
  learningRate: num,
  seed: num,
  backend: opt(str),
  backendReason: opt(str),
  samplesPerSecond: opt(num),
  samplesPerSecondIqr: opt(pair(num)),
  peakMemoryBytes: opt(num),
  wallSeconds: num,
  warnings: opt(arr(str)),
  checkpoints: opt(arr(obj<CheckpointInfo>({ path: str, step: num, samples: num }))),
  phase: oneOf(PHASES),
  finalLoss: opt(num),
  finalValLoss: opt(num),
  startupSeconds: opt(num),
});

const series = obj<TrialSeries>({
  steps: arr(obj<TrialSeries['steps'][number]>({ step: num, samples: num, time: num, loss: num, peakMemoryBytes: opt(num), samplesPerSecond: opt(num) })),
  evals: arr(obj<EvalMetrics>({ step: num, samples: num, time: num, valLoss: num, valAccuracy: opt(num) })),
});

const plan = obj<StudyPlan>({
  budgetSeconds: num,
  startupSecondsPerTrial: num,
  candidates: arr(posInt),
  profile: obj<StudyPlan['profile']>({ seconds: num, fraction: num, trials: num, secondsPerTrial: num, warmupSteps: num }),
  noise: obj<StudyPlan['noise']>({ seconds: num, fraction: num, trials: num, secondsPerTrial: num, microBatches: num }),
  convergence: obj<StudyPlan['convergence']>({ seconds: num, fraction: num, candidates: num, seeds: num, secondsPerTrial: num }),
  branch: opt(obj<NonNullable<StudyPlan['branch']>>({ seconds: num, fraction: num })),
  reserve: obj<StudyPlan['reserve']>({ seconds: num, fraction: num }),
  parallel: num,
  lrRule,
  memoryLimitBytes: opt(num),
  warnings: arr(str),
  summary: str,
});

/** A pid (Linux allows up to 2^22), its process's start time and its host. */
export const writerIdentity = obj<WriterIdentity>({ pid: posInt, startTicks: opt(num), host: opt(str) });

/** Every line carries its format version and a time; `v` is 1 for every line this version writes. */
const v: Decoder<1> = (x, path) => (typeof x === 'number' && Number.isInteger(x) && x >= 1 ? 1 : fail(path, 'a format version (1)', x));

type LineOf<K extends StudyLine['type']> = Extract<StudyLine, { type: K }>;
const head = <K extends StudyLine['type']>(type: K) => ({ v, type: oneOf([type]), time: str });

/** One decoder per line type: a line type added to StudyLine without one here does not compile. */
export const STUDY_LINE_DECODERS: { [K in StudyLine['type']]: Decoder<LineOf<K>> } = {
  'study-start': obj<LineOf<'study-start'>>({
    ...head('study-start'),
    id: str,
    configPath: str,
    configHash: opt(str),
    writer: opt(writerIdentity),
    currentBatchSize: posInt,
    currentLearningRate: num,
    optimizer: str,
    datasetSize: num,
    settings: obj<StudyStartLine['settings']>({
      budgetSeconds: num,
      minBatchSize: num,
      maxBatchSize: num,
      candidates: opt(arr(num)),
      memoryLimitBytes: opt(num),
      lrRule,
      targetLoss: opt(num),
      parallel: num,
      seed: num,
      horizonSamples: opt(num),
      fromCheckpoints: opt(arr(str)),
    }),
  }),
  plan: obj<LineOf<'plan'>>({ ...head('plan'), plan }),
  phase: obj<LineOf<'phase'>>({ ...head('phase'), phase: oneOf(PHASES), message: str }),
  'trial-start': obj<LineOf<'trial-start'>>({ ...head('trial-start'), trialId: str, phase: oneOf(PHASES), batchSize: posInt, learningRate: num, seed: num }),
  'trial-end': obj<LineOf<'trial-end'>>({ ...head('trial-end'), trial: trialSummary, series }),
  'noise-scale': obj<LineOf<'noise-scale'>>({ ...head('noise-scale'), estimate: noiseScale }),
  recommendation: obj<LineOf<'recommendation'>>({ ...head('recommendation'), recommendation }),
  warning: obj<LineOf<'warning'>>({ ...head('warning'), message: str }),
  'study-end': obj<LineOf<'study-end'>>({ ...head('study-end'), status: oneOf(['completed', 'stopped', 'failed']), reason: opt(str), elapsedSeconds: num }),
};

export function isStudyLineType(type: unknown): type is StudyLine['type'] {
  return typeof type === 'string' && Object.prototype.hasOwnProperty.call(STUDY_LINE_DECODERS, type);
}
