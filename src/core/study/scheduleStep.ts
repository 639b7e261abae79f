// Dynamic batching (issue 6): the schedule recommendation is another engineer's pure function;
// this is where the study calls it. Until it exists the recommendation carries no schedule.
import type { Recommendation } from '../types';
import type { StudyOptions } from './types';

export function withSchedule(rec: Recommendation, _options: StudyOptions): Recommendation {
  return rec;
}
