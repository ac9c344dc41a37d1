import { Command, CommandRunner } from 'nest-commander';
import { DatasetCheckCommand } from './dataset-check.command';
import { DatasetShapesCommand } from './dataset-shapes.command';

/** `dataset <check|shapes>`: dataset tools. Register with `...DatasetCommand.registerWithSubCommands()`. */
@Command({
  name: 'dataset',
  description: 'Dataset tools: check a COCO/VOC dataset, generate the shapes dataset',
  subCommands: [DatasetCheckCommand, DatasetShapesCommand],
})
export class DatasetCommand extends CommandRunner {
  async run(args: string[]): Promise<void> {
    throw new Error(
      `dataset: unknown subcommand ${args[0] ?? '(none)'}; use "dataset check" or "dataset shapes"`,
    );
  }
}
