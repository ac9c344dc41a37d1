import {
  classColour,
  classCounts,
  describeApiError,
  visibleDetections,
  type DetectResult,
} from './detection-view';

const det = (label: string, score: number) => ({
  label,
  categoryId: label.length,
  score,
  box: { x1: 0, y1: 0, x2: 10, y2: 10 },
});
const result: DetectResult = {
  width: 20,
  height: 20,
  model: 'm',
  timingMs: 5,
  detections: [det('circle', 0.4), det('square', 0.9), det('circle', 0.7)],
};

describe('page view logic', () => {
  it('keeps detections scoring above the threshold, best first; 1 shows none and 0 shows all', () => {
    expect(visibleDetections(result, 0.5, new Set()).map((d) => d.score)).toEqual([0.9, 0.7]);
    expect(visibleDetections(result, 1, new Set())).toEqual([]);
    expect(visibleDetections(result, 0, new Set())).toHaveLength(3);
  });

  it('hides toggled-off classes and counts classes in first-seen order', () => {
    expect(visibleDetections(result, 0, new Set(['circle'])).map((d) => d.label)).toEqual(['square']);
    expect([...classCounts(result)]).toEqual([
      ['circle', 2],
      ['square', 1],
    ]);
  });

  it('gives each class a fixed colour (FNV-1a hue) that differs between classes', () => {
    // FNV-1a 32-bit of "a" is 0xe40c292c = 3826002220; 3826002220 % 360 = 340
    expect(classColour('a')).toBe('hsl(340, 85%, 45%)');
    expect(classColour('circle')).toBe(classColour('circle'));
    expect(classColour('circle')).not.toBe(classColour('square'));
  });

  it('turns Nest error bodies into one readable line', () => {
    expect(
      describeApiError(
        415,
        { statusCode: 415, message: 'not an image (starts with 6e6f)', error: 'Unsupported Media Type' },
        null,
      ),
    ).toBe('415 Unsupported Media Type: not an image (starts with 6e6f)');
    expect(describeApiError(400, { message: ['a must be ≤ 1', 'b is bad'] }, null)).toBe(
      '400 Bad Request: a must be ≤ 1; b is bad',
    );
    expect(describeApiError(503, { message: 'queue full' }, '2')).toBe(
      '503 Service Unavailable: queue full — try again in 2 s',
    );
    expect(describeApiError(502, 'x', null)).toBe('502 Error');
  });
});
