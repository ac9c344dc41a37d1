import { LossHistory } from './loss-history';

describe('LossHistory', () => {
  it('averages each window of `every` iterations (hand-worked)', () => {
    const h = new LossHistory(2);
    h.add(1, 0.1, { loss: 3, a: 1 });
    h.add(2, 0.2, { loss: 1, a: 0 });
    h.add(3, 0.3, { loss: 5, a: 2 });
    expect(h.points).toEqual([{ iteration: 2, lr: 0.2, losses: { loss: 2, a: 0.5 } }]);
  });

  it('a JSON round trip in the middle of a window continues identically', () => {
    const straight = new LossHistory(3);
    const split = new LossHistory(3);
    let resumed: LossHistory | undefined;
    for (let i = 1; i <= 8; i++) {
      straight.add(i, 0.01 * i, { loss: Math.sin(i) });
      if (i === 4) resumed = LossHistory.fromJSON(JSON.parse(JSON.stringify(split.toJSON())));
      (resumed ?? split).add(i, 0.01 * i, { loss: Math.sin(i) });
    }
    expect(resumed!.points).toEqual(straight.points);
    expect(resumed!.toJSON()).toEqual(straight.toJSON());
  });
});
