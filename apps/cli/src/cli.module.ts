import { Module } from '@nestjs/common';
import { DoctorCommand } from './commands/doctor.command';
import { ClassifyCommand } from './commands/classify.command';
import { EvalCommand } from './commands/eval.command';
import { DatasetCommand } from './commands/dataset.command';
import { DetectCommand } from './commands/detect.command';
import { ServeCommand } from './commands/serve.command';
import { TrainCommand } from './commands/train.command';
import { DemoCommand } from './commands/demo.command';
import { ExportOnnxCommand } from './commands/export-onnx.command';
import { WorkerCommand } from './commands/worker.command';
import { JobsCommand } from './commands/jobs.command';

/** Every command is one provider here; commands are thin and call into libs. */
@Module({
  providers: [
    DoctorCommand,
    TrainCommand,
    DemoCommand,
    DetectCommand,
    ServeCommand,
    ClassifyCommand,
    EvalCommand,
    ExportOnnxCommand,
    WorkerCommand,
    ...DatasetCommand.registerWithSubCommands(),
    ...JobsCommand.registerWithSubCommands(),
  ],
})
export class CliModule {}
