import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsInt, IsNumber, IsOptional, IsString, Max, Min } from 'class-validator';

/** Options of POST /v1/detect, from the query string or multipart fields. All rules live here. */
export class DetectOptionsDto {
  @ApiPropertyOptional({
    minimum: 0,
    maximum: 1,
    description: 'Drop detections scoring below this',
    example: 0.5,
  })
  @IsOptional()
  @Type(() => Number)
  @IsNumber({ allowNaN: false, allowInfinity: false })
  @Min(0)
  @Max(1)
  scoreThreshold?: number;

  @ApiPropertyOptional({ minimum: 1, maximum: 1000, description: 'Most detections returned', example: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(1000)
  maxDetections?: number;

  @ApiPropertyOptional({
    type: [String],
    description: 'Only these class names (comma-separated or repeated)',
    example: ['person', 'dog'],
  })
  @IsOptional()
  @Transform(({ value }) =>
    (Array.isArray(value) ? value : [value])
      .flatMap((v: unknown) => String(v).split(','))
      .map((s: string) => s.trim())
      .filter(Boolean),
  )
  @IsArray()
  @ArrayMaxSize(1000)
  @IsString({ each: true })
  classes?: string[];
}
