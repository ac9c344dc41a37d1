import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsNumber, IsOptional, IsString, Max, MaxLength, Min, MinLength } from 'class-validator';

/** Body of POST /v1/jobs: a folder (or file) under the server's data root, and model options. */
export class CreateJobDto {
  @ApiProperty({
    description: 'Folder or image file, relative to RESDET_DATA_ROOT',
    example: 'photos/2026-12',
  })
  @IsString()
  @MinLength(1)
  @MaxLength(4096)
  input!: string;

  @ApiPropertyOptional({
    description:
      'Weights under RESDET_DATA_ROOT (resdet checkpoint, .safetensors, .pth); default: the served model',
    example: 'models/shapes.safetensors',
  })
  @IsOptional()
  @IsString()
  @MaxLength(4096)
  model?: string;

  @ApiPropertyOptional({ minimum: 0, maximum: 1, description: 'The model’s score threshold', example: 0.5 })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1)
  scoreThreshold?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 1000, description: 'Detections per image', example: 100 })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1000)
  maxDetections?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 10000, description: 'Images per queued task (default 16)' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(10000)
  chunkSize?: number;
}
