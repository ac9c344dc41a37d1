import 'reflect-metadata';
import type { Command } from 'commander';
import type { INestApplicationContext } from '@nestjs/common';
import { CommandFactory, CommandRunnerService } from 'nest-commander';
import { CliModule } from './cli.module';
import { loadCommandProviders } from './command-loaders';
import { packageVersion } from './common/package-root';
import { GLOBAL_HELP, HELP_EXAMPLES } from './startup/help-examples';

/**
 * The Nest side of the CLI: only reached when a command actually runs (help, version and completion are
 * answered from the build's manifest in main.ts). Only the command `argv` names is loaded (every command when it
 * names none). Usage errors (unknown flag, bad value) exit 2; a command that fails exits 1; both print one line
 * on stderr.
 */
export async function createCli(argv: readonly string[] = []): Promise<{
  app: INestApplicationContext;
  program: Command;
  version: string;
}> {
  const version = packageVersion();
  const app = await CommandFactory.createWithoutRunning(
    CliModule.forCommands(await loadCommandProviders(argv)),
    {
      logger: ['warn', 'error'],
      version,
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
    },
  );
  // nest-commander keeps the program private; it is the commander instance every command was added to.
  const program = (app.get(CommandRunnerService) as unknown as { commander: Command }).commander;
  program.name('resdet');
  addExamples(program, []);
  program.addHelpText('after', GLOBAL_HELP);
  return { app, program, version };
}

function addExamples(cmd: Command, path: string[]): void {
  const example = HELP_EXAMPLES[path.join(' ')];
  if (example) cmd.addHelpText('after', `\nExample:\n  ${example}\n`);
  for (const sub of cmd.commands) addExamples(sub, [...path, sub.name()]);
}

export async function runCli(): Promise<void> {
  const { app } = await createCli(process.argv.slice(2));
  await CommandFactory.runApplication(app);
  await app.close();
}
