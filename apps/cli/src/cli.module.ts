import { Module } from '@nestjs/common';
import { DoctorCommand } from './commands/doctor.command';

/** Every command is one provider here; commands are thin and call into libs. */
@Module({
  providers: [DoctorCommand],
})
export class CliModule {}
