import { pyFixed } from './py-format';

describe("pyFixed (Python's '{:0.Nf}')", () => {
  it('rounds exact binary ties to even, as Python does', () => {
    // Python 3: '{:0.3f}'.format(x) for these gives 0.062 0.188 0.312, and '{:0.2f}'.format(0.125) = 0.12
    expect(pyFixed(0.0625, 3)).toBe('0.062');
    expect(pyFixed(0.1875, 3)).toBe('0.188');
    expect(pyFixed(0.3125, 3)).toBe('0.312');
    expect(pyFixed(0.125, 2)).toBe('0.12');
    expect(pyFixed(-0.0625, 3)).toBe('-0.062');
  });

  it('agrees with toFixed elsewhere', () => {
    expect(pyFixed(0.1822490660418532, 3)).toBe('0.182');
    expect(pyFixed(-1, 3)).toBe('-1.000');
    expect(pyFixed(0.95, 2)).toBe('0.95');
    expect(pyFixed(1, 3)).toBe('1.000');
    expect(pyFixed(0.0005, 3)).toBe('0.001'); // 0.0005 is not exactly representable: above the tie
  });
});
