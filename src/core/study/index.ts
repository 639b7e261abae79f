// Studies: run one (runStudy), follow it live (StudyListener), read it back (readStudy,
// listStudies, latestStudyFor). The maths lives in ../tuner.
export * from './types';
export { runStudy } from './runStudy';
export {
  readStudy,
  parseStudyText,
  parseStudyLines,
  decodeStudyLine,
  withLiveness,
  listStudies,
  latestStudyFor,
  hashConfigText,
  StudyWriter,
  STUDY_FILE_SUFFIX,
  MAX_STUDY_FILE_BYTES,
} from './studyFile';
export { lockStudy, claimLock, studyLockFile, currentIdentity, identityState } from './studyLock';
export { resolveSettings, settingsErrors, type StudySettings } from './settings';
export { trialSeries, downsample } from './series';
