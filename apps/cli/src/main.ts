import 'reflect-metadata';
import { CommandFactory } from 'nest-commander';
import { CliModule } from './cli.module';

async function bootstrap(): Promise<void> {
  await CommandFactory.run(CliModule, {
    logger: ['warn', 'error'],
    errorHandler: (err) => {
      process.stderr.write(`error: ${err.message}\n`);
      process.exit(2);
    },
  });
}

void bootstrap();
