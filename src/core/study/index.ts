// Studies: run one (runStudy), follow it live (StudyListener), read it back (readStudy,
// listStudies, latestStudyFor). The maths lives in ../tuner.
export * from './types';
export { runStudy } from './runStudy';
export { readStudy, parseStudyText, listStudies, latestStudyFor, hashConfigText, StudyWriter, STUDY_FILE_SUFFIX } from './studyFile';
export { resolveSettings, settingsErrors, type StudySettings } from './settings';
export { trialSeries, downsample } from './series';

