import { Command, CommandRunner } from 'nest-commander';
import { WeightsListCommand } from './weights-list.command';
import { WeightsPullCommand } from './weights-pull.command';

/** `weights <list|pull>`: the weights registry. Register with `...WeightsCommand.registerWithSubCommands()`. */
@Command({
  name: 'weights',
  description: 'Named weights: list the registry, pull (download and verify) into the cache',
  subCommands: [WeightsListCommand, WeightsPullCommand],
})
export class WeightsCommand extends CommandRunner {
  async run(args: string[]): Promise<void> {
    throw new Error(
      `weights: unknown subcommand ${args[0] ?? '(none)'}; use "weights list" or "weights pull NAME"`,
    );
  }
}
