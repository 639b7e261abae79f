// The tuner's maths: estimators (throughput model, memory fit, noise scale from gradients or from
// loss curves), goodput, the near-optimal band, the verdict, lr scaling, the budget plan and the
// recommendation. Pure functions; the study engine (../study) runs trials.
export * from './stats';
export * from './robustFit';
export * from './throughput';
export * from './stepTimeModel';
export * from './memoryFit';
export * from './noiseScale';
export * from './lossCurves';
export * from './noiseScaleFromLoss';
export * from './goodput';
export * from './band';
export * from './verdict';
export * from './lrScaling';
export * from './candidates';
export * from './budgetPlan';
export * from './recommend';
export * from './parallelism';
export * from './throughputModel';
