import { Module, type DynamicModule, type Provider } from '@nestjs/common';

/**
 * The CLI's Nest module, built per run with the providers of the command that runs (see command-loaders.ts);
 * commands are thin and call into libs.
 */
@Module({})
export class CliModule {
  static forCommands(providers: Provider[]): DynamicModule {
    return { module: CliModule, providers };
  }
}
