import 'reflect-metadata';
import { CommandFactory } from 'nest-commander';
import { CliModule } from './cli.module';

/** Usage errors (unknown flag, bad value) exit 2; a command that fails exits 1; both print one line on stderr. */
async function bootstrap(): Promise<void> {
  await CommandFactory.run(CliModule, {
    logger: ['warn', 'error'],
    errorHandler: (err: Error & { exitCode?: number; code?: string }) => {
      // commander reports --help and --version through this handler too, with exit code 0
      if (err.exitCode === 0) process.exit(0);
      if (err.code !== 'commander.helpDisplayed' && err.code !== 'commander.unknownCommand') {
        process.stderr.write(`error: ${err.message.replace(/^error: /, '')}\n`);
      }
      process.exit(2);
    },
    serviceErrorHandler: (err: Error) => {
      process.stderr.write(`error: ${err.message}\n`);
      if (process.env.RESDET_DEBUG) process.stderr.write(`${err.stack}\n`);
      process.exit(1);
    },
  });
}

void bootstrap();
