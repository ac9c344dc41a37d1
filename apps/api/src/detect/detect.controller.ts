import {
  BadRequestException,
  Controller,
  HttpCode,
  Post,
  Query,
  Req,
  UploadedFile,
  UseGuards,
  UseInterceptors,
  ValidationPipe,
} from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import {
  ApiBody,
  ApiConsumes,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiResponse,
  ApiTags,
} from '@nestjs/swagger';
import type { Request } from 'express';
import { ApiKeyGuard } from '../common/api-key.guard';
import { DetectService } from './detect.service';
import { DetectOptionsDto } from './dto/detect-options.dto';
import { DetectResponseDto } from './dto/detect-response.dto';

@ApiTags('detect')
@Controller('v1')
@UseGuards(ApiKeyGuard)
export class DetectController {
  constructor(private readonly service: DetectService) {}

  @Post('detect')
  @HttpCode(200)
  @UseInterceptors(FileInterceptor('image'))
  @ApiOperation({ summary: 'Detect objects in one image (multipart field `image`, or a raw image/* body)' })
  @ApiConsumes('multipart/form-data', 'image/jpeg', 'image/png', 'image/webp')
  @ApiBody({
    schema: {
      type: 'object',
      required: ['image'],
      properties: {
        image: { type: 'string', format: 'binary' },
        scoreThreshold: { type: 'number', minimum: 0, maximum: 1 },
        maxDetections: { type: 'integer', minimum: 1, maximum: 1000 },
        classes: { type: 'string', description: 'comma-separated class names' },
      },
    },
  })
  @ApiHeader({ name: 'x-api-key', required: false, description: 'required when the server has an API key' })
  @ApiOkResponse({ type: DetectResponseDto })
  @ApiResponse({ status: 400, description: 'invalid options or no image' })
  @ApiResponse({ status: 401, description: 'missing or wrong API key' })
  @ApiResponse({ status: 413, description: 'upload too large' })
  @ApiResponse({ status: 415, description: 'not an image' })
  @ApiResponse({ status: 422, description: 'corrupt image or too many pixels' })
  @ApiResponse({ status: 503, description: 'queue full or timed out; see Retry-After' })
  async detect(
    @Query() query: Record<string, unknown>,
    @UploadedFile() file: Express.Multer.File | undefined,
    @Req() req: Request,
  ): Promise<DetectResponseDto> {
    const raw = Buffer.isBuffer(req.body) ? req.body : undefined;
    const fields =
      raw || !req.body || typeof req.body !== 'object' ? {} : (req.body as Record<string, unknown>);
    // Options come from the query string or multipart fields (query wins); the DTO holds every rule.
    const opts = (await OPTIONS_PIPE.transform(
      { ...fields, ...query },
      { type: 'query', metatype: DetectOptionsDto },
    )) as DetectOptionsDto;
    const bytes = file?.buffer ?? raw;
    if (!bytes || bytes.length === 0) {
      throw new BadRequestException('send the image as multipart field "image" or as a raw image/* body');
    }
    return this.service.detect(bytes, opts);
  }
}

const OPTIONS_PIPE = new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true });
