// The tuner's maths: estimators (throughput, memory fit, noise scale), goodput, lr scaling,
// the budget plan and the recommendation. Pure functions; the study engine (../study) runs trials.
export * from './stats';
export * from './throughput';
export * from './memoryFit';
export * from './noiseScale';
export * from './goodput';
export * from './lrScaling';
export * from './candidates';
export * from './budgetPlan';
export * from './recommend';
export * from './parallelism';
