/**
 * @resdet/api — the REST app's entry points for whoever starts it: `npm run start:api` (model from the
 * environment) and the CLI's `serve` (model from flags).
 */
export { startApiServer, serveFromEnvironment } from './serve';
