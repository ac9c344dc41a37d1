import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Post,
  Res,
  UseGuards,
  ValidationPipe,
} from '@nestjs/common';
import { ApiAcceptedResponse, ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { ApiKeyGuard } from '../common/api-key.guard';
import { CreateJobDto } from './dto/create-job.dto';
import { JobsService } from './jobs.service';

/** Batch detection jobs on the queue (`resdet worker`s process them). */
@ApiTags('jobs')
@Controller('v1/jobs')
@UseGuards(ApiKeyGuard)
export class JobsController {
  constructor(private readonly jobs: JobsService) {}

  @Post()
  @HttpCode(202)
  @ApiOperation({ summary: 'Queue detection over a folder under the data root' })
  @ApiAcceptedResponse({ description: '{ id, images }' })
  @ApiResponse({ status: 400, description: 'invalid body, or a path outside the data root' })
  @ApiResponse({ status: 503, description: 'no queue configured, or Redis unreachable' })
  create(
    @Body(new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true }))
    dto: CreateJobDto,
  ) {
    return this.jobs.create(dto);
  }

  @Get(':id')
  @ApiOperation({ summary: 'State, progress, counts and errors of a job' })
  @ApiResponse({ status: 404, description: 'unknown job' })
  status(@Param('id') id: string) {
    return this.jobs.status(id);
  }

  @Get(':id/results')
  @ApiOperation({
    summary: 'Results so far: one NDJSON line per processed image (detect --format ndjson lines)',
  })
  @ApiProduces('application/x-ndjson')
  async results(@Param('id') id: string, @Res() res: Response): Promise<void> {
    const events = this.jobs.results(id);
    const first = await events.next(); // a 404 or 503 is thrown before any header is sent
    res.status(200).type('application/x-ndjson');
    for (let e = first; !e.done; e = await events.next()) {
      if (e.value.kind === 'result' && !res.write(JSON.stringify(e.value.record) + '\n')) {
        await new Promise((r) => res.once('drain', r));
      }
    }
    res.end();
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Cancel a job (queued tasks removed; busy workers stop at their next image)' })
  cancel(@Param('id') id: string) {
    return this.jobs.cancel(id);
  }
}
