import { TrainingDivergedError } from './errors';

describe('TrainingDivergedError', () => {
  it('names the iteration, every loss term and the checkpoint that was kept', () => {
    const e = new TrainingDivergedError(
      12,
      { loss_classifier: NaN, loss_box_reg: 0.5, loss: NaN },
      'out/iter-00000010.safetensors',
    );
    expect(e.message).toContain(
      'loss is not finite at iteration 12 (loss_classifier=NaN, loss_box_reg=0.5, loss=NaN)',
    );
    expect(e.message).toContain('Last good checkpoint: out/iter-00000010.safetensors (left untouched)');
    expect(e).toMatchObject({ name: 'TrainingDivergedError', iteration: 12 });
  });

  it('says when no checkpoint exists yet', () => {
    expect(new TrainingDivergedError(0, { loss: Infinity }).message).toContain(
      'No checkpoint was written yet',
    );
  });
});
