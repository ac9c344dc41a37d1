import { parseQueueUrl } from './queue-url';

describe('parseQueueUrl', () => {
  it('reads host, port and database, with defaults', () => {
    expect(parseQueueUrl('redis://10.0.0.5:6380/2')).toMatchObject({ host: '10.0.0.5', port: 6380, db: 2 });
    expect(parseQueueUrl('redis://queue-host')).toMatchObject({ host: 'queue-host', port: 6379, db: 0 });
  });

  it('keeps credentials out of the display form', () => {
    const q = parseQueueUrl('redis://me:s3cret@h:1/0');
    expect(q).toMatchObject({ username: 'me', password: 's3cret' });
    expect(q.display).toBe('redis://h:1/0');
  });

  it('names the expected form on bad input', () => {
    expect(() => parseQueueUrl('localhost:6379')).toThrow(/redis:\/\/HOST:PORT/);
    expect(() => parseQueueUrl('http://h:1')).toThrow(/redis:\/\/HOST:PORT/);
    expect(() => parseQueueUrl('redis://h:1/x')).toThrow(/database must be a number/);
  });
});
