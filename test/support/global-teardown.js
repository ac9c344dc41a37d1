// Stops the background training-quality run if the suite ended before it did (a filtered or failed run).
const { ENV_DIR, stopQualityRun } = require('./quality-run');

module.exports = () => stopQualityRun(process.env[ENV_DIR]);
