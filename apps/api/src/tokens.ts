/** Injection tokens of the API app. */
export const DETECTOR = Symbol('DETECTOR');
export const API_SETTINGS = Symbol('API_SETTINGS');
/** The served model's source (flags), used by batch jobs that name no model. */
export const JOBS_MODEL = Symbol('JOBS_MODEL');
