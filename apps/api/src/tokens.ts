/** Injection tokens of the API app. */
export const DETECTOR = Symbol('DETECTOR');
export const API_SETTINGS = Symbol('API_SETTINGS');
