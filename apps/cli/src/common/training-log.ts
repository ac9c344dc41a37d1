import pino from 'pino';
import pretty from 'pino-pretty';
import type { TrainerEvent } from '@resdet/training';
import { createProgress, type ProgressReporter } from './progress';

/**
 * The logger of `train` and `demo` on stderr (stdout stays for results): pino-pretty's readable lines (coloured
 * on a terminal), or pino JSON lines for log collectors with `--log-format json` (RESDET_LOG_FORMAT).
 */
export function cliLogger(name: string): pino.Logger {
  const opts = { name, level: process.env.RESDET_LOG_LEVEL ?? 'info' };
  if (process.env.RESDET_LOG_FORMAT !== 'json') {
    return pino(
      opts,
      pretty({
        destination: 2,
        sync: true,
        colorize: !!process.stderr.isTTY,
        ignore: 'pid,hostname',
        translateTime: 'HH:MM:ss',
        singleLine: true,
      }),
    );
  }
  return pino(opts, pino.destination(2));
}

/**
 * Trainer events → log lines and a progress bar (loss terms, lr, images/s). Iteration lines are logged every
 * `logEvery` iterations; evaluations, checkpoints and the end always.
 */
export function trainingReporter(
  log: pino.Logger,
  total: number,
  logEvery = 20,
): { onEvent: (e: TrainerEvent) => void; stop: () => void } {
  let bar: ProgressReporter | undefined;
  let images = 0;
  let seconds = 0;
  return {
    onEvent(e) {
      switch (e.type) {
        case 'resumed':
          log.info({ iteration: e.iteration, from: e.location }, `resumed at iteration ${e.iteration}`);
          break;
        case 'iteration': {
          bar ??= createProgress('train', total, { unit: 'it' });
          images += e.images;
          seconds += e.seconds;
          const terms = Object.fromEntries(
            Object.entries(e.losses).map(([k, v]) => [k.replace(/^loss_/, ''), Number(v.toFixed(4))]),
          );
          bar.update(e.iteration, {
            ...terms,
            lr: e.lr.toPrecision(3),
            'img/s': (images / seconds).toFixed(1),
          });
          if (e.iteration % logEvery === 0) {
            log.info(
              { iteration: e.iteration, lr: e.lr, ...e.losses, imagesPerSecond: images / seconds },
              'step',
            );
          }
          break;
        }
        case 'evaluation':
          log.info(
            { iteration: e.iteration, AP: e.metrics.AP, AP50: e.metrics.AP50, best: e.best },
            `eval @${e.iteration}: AP ${e.metrics.AP.toFixed(3)} AP50 ${e.metrics.AP50.toFixed(3)}${e.best ? ' (best)' : ''}`,
          );
          break;
        case 'checkpoint':
          log.info(
            { iteration: e.iteration, file: e.location, reason: e.reason },
            `checkpoint ${e.location}`,
          );
          break;
        case 'stopped':
          bar?.stop();
          bar = undefined;
          log.info(
            { iteration: e.iteration, reason: e.reason },
            `stopped at iteration ${e.iteration} (${e.reason})`,
          );
          break;
      }
    },
    stop: () => bar?.stop(),
  };
}
