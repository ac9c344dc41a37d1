/**
 * @resdet/testing — what the tests and the benches share: the built CLI run as a user runs it (`runCli`,
 * `spawnCli`), a throwaway redis-server on a free port, and a random-weight tiny detector written as a resdet
 * checkpoint. Development only: no app or library imports it.
 */
export * from './cli';
export * from './cli-process';
export * from './redis-server';
export * from './tiny-detector';
