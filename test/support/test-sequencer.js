// jest's default order (slowest and failed first), except that the training-quality spec runs last: its training
// has been going on in the background since the global setup, so by then it is done or nearly.
const Sequencer = require('@jest/test-sequencer').default;
const { QUALITY_SPEC } = require('./quality-run');

class QualityLastSequencer extends Sequencer {
  sort(tests) {
    const sorted = super.sort(tests);
    return [
      ...sorted.filter((t) => t.path !== QUALITY_SPEC),
      ...sorted.filter((t) => t.path === QUALITY_SPEC),
    ];
  }
}

module.exports = QualityLastSequencer;
