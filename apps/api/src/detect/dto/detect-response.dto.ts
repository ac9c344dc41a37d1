import { ApiProperty } from '@nestjs/swagger';

export class BoxDto {
  @ApiProperty({ description: 'left, original pixels' }) x1!: number;
  @ApiProperty({ description: 'top, original pixels' }) y1!: number;
  @ApiProperty({ description: 'right, original pixels' }) x2!: number;
  @ApiProperty({ description: 'bottom, original pixels' }) y2!: number;
}

export class DetectionDto {
  @ApiProperty({ example: 'dog' }) label!: string;
  @ApiProperty({ example: 18 }) categoryId!: number;
  @ApiProperty({ minimum: 0, maximum: 1, example: 0.97 }) score!: number;
  @ApiProperty({ type: BoxDto }) box!: BoxDto;
}

export class DetectResponseDto {
  @ApiProperty() width!: number;
  @ApiProperty() height!: number;
  @ApiProperty({ type: [DetectionDto] }) detections!: DetectionDto[];
  @ApiProperty({ example: 'fasterrcnn_resnet50_fpn' }) model!: string;
  @ApiProperty({ description: 'server time for this request, ms' }) timingMs!: number;
}
